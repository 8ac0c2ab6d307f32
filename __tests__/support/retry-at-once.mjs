// Preloaded (node --import) into dist/index.js by tests that need downloads to
// fail: @actions/tool-cache reads its wait between attempts (10 to 20 s) from
// these globals, its own test hook, so the three attempts follow at once.
globalThis.TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS = 0
globalThis.TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS = 0
