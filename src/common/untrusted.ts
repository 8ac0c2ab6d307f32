/**
 * Values the action did not make itself (an ARN or error from a server, a path or URL
 * from an input) pass through here before reaching the log or the job summary.
 *
 * The runner reads every stdout line that starts, after blanks, with `::` as a workflow
 * command, and any line containing `##[` as a legacy one. A value made one line (line
 * breaks and other control characters shown as escapes) can no longer start a line of
 * its own; a leading `::` and every `##[` are broken up for the case where it is
 * printed first or the runner's legacy parser reads it.
 */
export function neutralise(value: unknown): string {
  return (
    String(value)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are the point
      .replace(/[\u0000-\u0008\u000a-\u001f\u007f\u0085\u2028\u2029]/g, escapeControl)
      .replaceAll('##[', '##\\[')
      .replace(/^(\s*):(?=:)/, '$1:\\')
  )
}

function escapeControl(char: string): string {
  if (char === '\n') return '\\n'
  if (char === '\r') return '\\r'
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`
}

/** `neutralise`, then escaped for HTML, for the job summary's cells and headings. */
export function neutraliseHtml(value: unknown): string {
  return neutralise(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
}
