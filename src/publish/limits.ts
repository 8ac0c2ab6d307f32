/**
 * Lambda accepts a layer zip inline in PublishLayerVersion up to 50 MB; bigger ones
 * must come from S3. (AWS quotas: "50 MB (zipped, when uploading directly)".)
 */
export const DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024

/** Regions worked on at once: enough to overlap uploads, few enough to stay under API rate limits. */
export const REGION_CONCURRENCY = 4
