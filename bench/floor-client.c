/*
 * The floor for bench/runtime.ts: the cheapest Runtime API client possible.
 * One keep-alive socket; GET /next, then POST the event back as the response.
 * It only looks for the headers it needs (request id, Content-Length,
 * Transfer-Encoding) and never parses the body; a chunked body (Lambda's
 * framing above 2048 bytes) is joined in place. Usage: floor-client [<host>
 * <port>], by default AWS_LAMBDA_RUNTIME_API's "host:port" as a runtime
 * takes it; runs until the server goes away.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[8 << 20]; /* holds headers plus a body up to 6 MiB */

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads more into buf until it holds `want` bytes; -1 when the server went away. */
static int fill(int fd, long *have, long want) {
  while (*have < want) {
    if (*have >= (long)sizeof buf - 1) return -1;
    ssize_t r = read(fd, buf + *have, sizeof buf - 1 - (size_t)*have);
    if (r <= 0) return -1;
    *have += r;
  }
  buf[*have] = 0;
  return 0;
}

/* The offset just past the next CRLF at or after `at`, reading more as needed. */
static long line_end(int fd, long *have, long at) {
  char *eol;
  while (!(eol = memmem(buf + at, (size_t)(*have - at), "\r\n", 2)))
    if (fill(fd, have, *have + 1) < 0) return -1;
  return eol + 2 - buf;
}

/*
 * Joins the chunks of a body that starts at buf + head, in place (data only
 * moves to the front), and skips any trailers. Chunk extensions end the hex
 * size, so strtol ignores them. Returns the body length, or -1.
 */
static long read_chunked(int fd, long *have, long head) {
  long at = head, out = head;
  for (;;) {
    long next = line_end(fd, have, at);
    if (next < 0) return -1;
    long size = strtol(buf + at, NULL, 16);
    at = next;
    if (size == 0) break;
    if (fill(fd, have, at + size + 2) < 0) return -1;
    memmove(buf + out, buf + at, (size_t)size);
    out += size;
    at += size + 2; /* the data's CRLF */
  }
  for (;;) { /* trailers, up to an empty line */
    long next = line_end(fd, have, at);
    if (next < 0) return -1;
    if (next == at + 2) return out - head;
    at = next;
  }
}

/*
 * Reads one response: returns the header length; the body follows it in buf
 * and *body_len gets its length. The server sends nothing unasked, so no bytes
 * of a next message are ever read here.
 */
static long read_response(int fd, long *body_len, char *id, size_t id_size) {
  long have = 0, head = -1;
  while (head < 0) {
    if (fill(fd, &have, have + 1) < 0) return -1;
    char *end = strstr(buf, "\r\n\r\n");
    if (end) head = end + 4 - buf;
  }
  int chunked = 0;
  *body_len = 0;
  id[0] = 0;
  for (char *line = buf; line < buf + head;) {
    char *eol = strstr(line, "\r\n");
    if (strncasecmp(line, "content-length:", 15) == 0) *body_len = atol(line + 15);
    if (strncasecmp(line, "transfer-encoding:", 18) == 0) chunked = 1; /* only chunked exists */
    if (strncasecmp(line, "lambda-runtime-aws-request-id:", 30) == 0) {
      char *v = line + 30;
      while (*v == ' ') v++;
      size_t n = (size_t)(eol - v) < id_size - 1 ? (size_t)(eol - v) : id_size - 1;
      memcpy(id, v, n);
      id[n] = 0;
    }
    line = eol + 2;
  }
  if (chunked) *body_len = read_chunked(fd, &have, head);
  else if (fill(fd, &have, head + *body_len) < 0) return -1;
  return *body_len < 0 ? -1 : head;
}

int main(int argc, char **argv) {
  char host[256] = "", *port = NULL;
  const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
  if (argc >= 3) {
    snprintf(host, sizeof host, "%s", argv[1]);
    port = argv[2];
  } else if (api) {
    snprintf(host, sizeof host, "%s", api);
    port = strrchr(host, ':');
    if (port) *port++ = 0;
  }
  if (!port) {
    fprintf(stderr, "usage: floor-client <host> <port>, or AWS_LAMBDA_RUNTIME_API=host:port\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
  inet_pton(AF_INET, host, &addr.sin_addr);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) return 1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char req[512], id[128];
  static char out[8 << 20];
  for (;;) {
    int n = snprintf(req, sizeof req,
                     "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n", host);
    if (write_all(fd, req, (size_t)n) < 0) return 0;
    long len;
    long head = read_response(fd, &len, id, sizeof id);
    if (head < 0) return 0;
    /* Headers and body in one write, as the PicoLisp runtime does */
    n = snprintf(out, 512,
                 "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\n"
                 "Content-Length: %ld\r\n\r\n",
                 id, host, len);
    memcpy(out + n, buf + head, (size_t)len);
    if (write_all(fd, out, (size_t)n + (size_t)len) < 0) return 0;
    if (read_response(fd, &len, id, sizeof id) < 0) return 0;
  }
}
