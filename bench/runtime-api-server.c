/*
 * The Lambda Runtime API for bench/runtime.ts, in C: Lambda's own is a Go
 * server on the same host, so a fast server is the honest baseline, and one
 * whose cost cannot pad the clients' figures.
 *
 * Usage: runtime-api-server EVENT_FILE...
 * Listens on an ephemeral port of 127.0.0.1 and prints "port <n>". Then reads
 * commands from stdin, one a line:
 *   run <i> <n>  serve n invocations of event file i (from 0), one at a time;
 *                answers "done <n> <ns> <bad>": nanoseconds from the first
 *                event sent to the last answer read, and how many answers
 *                were not the event byte for byte (or were /error)
 * It prints "next <epoch µs>" when the first /next arrives (for cold start)
 * and ends at the end of stdin. Between runs a /next waits, as Lambda's does.
 *
 * On the wire it is Lambda's (RIE's Go net/http): /next headers sorted, then
 * Date, then the framing: a body of up to 2048 bytes with a Content-Length, a
 * larger one chunked, written as one chunk. Answers may come with a
 * Content-Length or chunked, and with Expect: 100-continue (curl's).
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define GO_BUFFERED_BODY_BYTES 2048 /* net/http's bufferBeforeChunkingSize */
#define MAX_MESSAGE (16L << 20)     /* Lambda's payloads stop at 6 MiB + 100 */
#define MAX_CONNS 16

struct event {
  char *data;
  long len;
};

struct conn {
  int fd;
  char *buf;
  long cap, have;
};

struct request {
  char method[8];
  char path[256];
  char *body;
  long body_len;
  long end; /* offset of the next message in the connection's buffer */
};

static struct event *events;
static int n_events;
static struct conn conns[MAX_CONNS];
static int n_conns;

/* The run in progress */
static struct event *current;
static long to_send, answered, wanted, bad;
static long long started_ns;
static char request_id[40]; /* of the invocation in flight, or "" */
static unsigned long long id_counter;
static int waiting_fd = -1;       /* a /next that waits for a run */
static int first_next_seen;

static void die(const char *what) {
  perror(what);
  exit(1);
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* writev until every byte is out; iov is consumed. */
static int writev_all(int fd, struct iovec *iov, int n) {
  while (n > 0) {
    ssize_t w = writev(fd, iov, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    while (n > 0 && (size_t)w >= iov->iov_len) {
      w -= (ssize_t)iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = (char *)iov->iov_base + w;
      iov->iov_len -= (size_t)w;
    }
  }
  return 0;
}

/* Go's Date header value, remade once a second. */
static const char *http_date(void) {
  static char date[64];
  static time_t made;
  time_t t = time(NULL);
  if (t != made) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    made = t;
  }
  return date;
}

static void load_events(int argc, char **argv) {
  n_events = argc - 1;
  events = calloc((size_t)n_events, sizeof *events);
  for (int i = 0; i < n_events; i++) {
    FILE *f = fopen(argv[i + 1], "rb");
    if (!f) die(argv[i + 1]);
    fseek(f, 0, SEEK_END);
    events[i].len = ftell(f);
    rewind(f);
    events[i].data = malloc((size_t)events[i].len + 1);
    if (fread(events[i].data, 1, (size_t)events[i].len, f) != (size_t)events[i].len) die(argv[i + 1]);
    fclose(f);
  }
}

/* Reads more of c's message into its buffer; -1 at end of stream or error. */
static int fill(struct conn *c, long want) {
  while (c->have < want) {
    if (c->cap - c->have < 65536) {
      if (c->cap >= MAX_MESSAGE) return -1;
      c->cap = c->cap ? c->cap * 2 : 1 << 20;
      c->buf = realloc(c->buf, (size_t)c->cap + 1);
    }
    ssize_t r = read(c->fd, c->buf + c->have, (size_t)(c->cap - c->have));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    c->have += r;
  }
  c->buf[c->have] = 0;
  return 0;
}

/* The offset just past the next CRLF at or after `at`, reading more as needed. */
static long line_end(struct conn *c, long at) {
  char *eol;
  while (!(eol = memmem(c->buf + at, (size_t)(c->have - at), "\r\n", 2)))
    if (fill(c, c->have + 1) < 0) return -1;
  return eol + 2 - c->buf;
}

/* Joins a chunked body that starts at `at`, in place; -> its length, or -1. */
static long read_chunked(struct conn *c, long at, long *end) {
  long out = at, start = at;
  for (;;) {
    long next = line_end(c, at);
    if (next < 0) return -1;
    char *stop;
    long size = strtol(c->buf + at, &stop, 16);
    if (stop == c->buf + at || size < 0 || size > MAX_MESSAGE) return -1;
    at = next;
    if (size == 0) break;
    if (fill(c, at + size + 2) < 0) return -1;
    if (memcmp(c->buf + at + size, "\r\n", 2) != 0) return -1;
    memmove(c->buf + out, c->buf + at, (size_t)size);
    out += size;
    at += size + 2;
  }
  for (;;) { /* trailers, up to an empty line */
    long next = line_end(c, at);
    if (next < 0) return -1;
    if (next == at + 2) {
      *end = next;
      return out - start;
    }
    at = next;
  }
}

/* Reads one whole request from c (blocking once it has begun); -1 if none. */
static int read_request(struct conn *c, struct request *r) {
  char *head_end;
  if (c->have == 0 && fill(c, 1) < 0) return -1;
  while (!(head_end = memmem(c->buf, (size_t)c->have, "\r\n\r\n", 4)))
    if (fill(c, c->have + 1) < 0) return -1;
  long head = head_end + 4 - c->buf;
  if (sscanf(c->buf, "%7s %255s", r->method, r->path) != 2) return -1;
  long content_length = 0;
  int chunked = 0, expect = 0;
  for (char *line = strstr(c->buf, "\r\n") + 2; line < c->buf + head - 2;) {
    if (strncasecmp(line, "content-length:", 15) == 0) content_length = atol(line + 15);
    if (strncasecmp(line, "transfer-encoding:", 18) == 0) chunked = 1; /* only chunked exists */
    if (strncasecmp(line, "expect:", 7) == 0) expect = 1; /* 100-continue */
    line = strstr(line, "\r\n") + 2;
  }
  if (expect && write_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) < 0) return -1;
  r->body = c->buf + head;
  if (chunked) {
    r->body_len = read_chunked(c, head, &r->end);
    r->body = c->buf + head;
    return r->body_len < 0 ? -1 : 0;
  }
  if (content_length < 0 || content_length > MAX_MESSAGE) return -1;
  if (fill(c, head + content_length) < 0) return -1;
  r->body = c->buf + head; /* fill may have moved the buffer */
  r->body_len = content_length;
  r->end = head + content_length;
  return 0;
}

/* Drops the request just handled, keeping any bytes of the next one. */
static void consume(struct conn *c, long end) {
  memmove(c->buf, c->buf + end, (size_t)(c->have - end));
  c->have -= end;
}

/* RIE's RenderJSON of a 202: {"status":"OK"} and json.Encoder's newline. */
static int send_accepted(int fd) {
  char out[256];
  int n = snprintf(out, sizeof out,
                   "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nDate: %s\r\n"
                   "Content-Length: 16\r\n\r\n{\"status\":\"OK\"}\n",
                   http_date());
  return write_all(fd, out, (size_t)n);
}

static int send_not_found(int fd) {
  char out[256];
  int n = snprintf(out, sizeof out,
                   "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "X-Content-Type-Options: nosniff\r\nDate: %s\r\nContent-Length: 19\r\n\r\n"
                   "404 page not found\n",
                   http_date());
  return write_all(fd, out, (size_t)n);
}

/* The next invocation of the run, as Lambda frames it, in one writev. */
static int send_event(int fd) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  long long deadline = t.tv_sec * 1000LL + t.tv_nsec / 1000000 + 900000;
  snprintf(request_id, sizeof request_id, "8476a536-e9f4-11e8-9739-%012llx", ++id_counter);
  char head[1024];
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 200 OK\r\n"
                   "Content-Type: application/json\r\n"
                   "Lambda-Runtime-Aws-Request-Id: %s\r\n"
                   "Lambda-Runtime-Deadline-Ms: %lld\r\n"
                   "Lambda-Runtime-Invoked-Function-Arn: "
                   "arn:aws:lambda:us-east-1:123456789012:function:bench\r\n"
                   /* A new trace id each time, as Lambda sends: a runtime that kept
                      each one (glibc's setenv does) would grow */
                   "Lambda-Runtime-Trace-Id: "
                   "Root=1-5bef4de7-%024llx;Parent=9a9197af755a6419;Sampled=1\r\n"
                   "Date: %s\r\n",
                   request_id, deadline, id_counter, http_date());
  int chunked = current->len > GO_BUFFERED_BODY_BYTES;
  n += snprintf(head + n, sizeof head - (size_t)n,
                chunked ? "Transfer-Encoding: chunked\r\n\r\n%lx\r\n" : "Content-Length: %ld\r\n\r\n",
                current->len);
  struct iovec iov[3] = {{head, (size_t)n}, {current->data, (size_t)current->len}, {"\r\n0\r\n\r\n", 7}};
  to_send--;
  return writev_all(fd, iov, chunked ? 3 : 2);
}

static void finish_run(void) {
  printf("done %ld %lld %ld\n", answered, now_ns() - started_ns, bad);
  fflush(stdout);
  current = NULL;
}

/* An answer to the invocation in flight: /response or /error. */
static int handle_answer(int fd, struct request *r, const char *id, int is_error) {
  if (!current || strcmp(id, request_id) != 0) {
    fprintf(stderr, "runtime-api-server: answer for %s, expected %s\n", id,
            request_id[0] ? request_id : "none");
    bad++;
    return send_accepted(fd);
  }
  if (is_error || r->body_len != current->len || memcmp(r->body, current->data, (size_t)r->body_len))
    bad++;
  request_id[0] = 0;
  if (send_accepted(fd) < 0) return -1;
  if (++answered == wanted) finish_run();
  return 0;
}

static int handle_next(int fd) {
  if (!first_next_seen) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    printf("next %lld\n", t.tv_sec * 1000000LL + t.tv_nsec / 1000);
    fflush(stdout);
    first_next_seen = 1;
  }
  if (request_id[0]) { /* a /next before the answer: Lambda would fail the invocation */
    fprintf(stderr, "runtime-api-server: /next while %s is in flight\n", request_id);
    bad++;
    request_id[0] = 0;
    if (current && ++answered == wanted) finish_run();
  }
  if (current && to_send > 0) return send_event(fd);
  waiting_fd = fd;
  return 0;
}

static int handle(struct conn *c, struct request *r) {
  static const char prefix[] = "/2018-06-01/runtime/";
  if (strncmp(r->path, prefix, sizeof prefix - 1) != 0) return send_not_found(c->fd);
  const char *p = r->path + sizeof prefix - 1;
  if (strcmp(r->method, "GET") == 0 && strcmp(p, "invocation/next") == 0) return handle_next(c->fd);
  if (strcmp(r->method, "POST") == 0 && strcmp(p, "init/error") == 0) {
    fprintf(stderr, "runtime-api-server: init error: %.*s\n", (int)r->body_len, r->body);
    return send_accepted(c->fd);
  }
  char id[64], what[16];
  if (strcmp(r->method, "POST") == 0 && sscanf(p, "invocation/%63[^/]/%15s", id, what) == 2) {
    if (strcmp(what, "response") == 0) return handle_answer(c->fd, r, id, 0);
    if (strcmp(what, "error") == 0) return handle_answer(c->fd, r, id, 1);
  }
  return send_not_found(c->fd);
}

static void close_conn(int i) {
  if (conns[i].fd == waiting_fd) waiting_fd = -1;
  close(conns[i].fd);
  free(conns[i].buf);
  conns[i] = conns[--n_conns];
}

/* "run <i> <n>" from stdin; -1 at its end. */
static int command(void) {
  char line[128];
  if (!fgets(line, sizeof line, stdin)) return -1;
  int i;
  long n;
  if (sscanf(line, "run %d %ld", &i, &n) != 2 || i < 0 || i >= n_events || n < 1) {
    fprintf(stderr, "runtime-api-server: expected run <event 0-%d> <count>, got %s", n_events - 1, line);
    return -1;
  }
  current = &events[i];
  to_send = wanted = n;
  answered = bad = 0;
  started_ns = now_ns();
  if (waiting_fd >= 0) {
    int fd = waiting_fd;
    waiting_fd = -1;
    if (send_event(fd) < 0) return -1;
  }
  return 0;
}

static int listen_socket(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET};
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0 ||
      getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
    die("listen");
  printf("port %d\n", ntohs(addr.sin_port));
  fflush(stdout);
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: runtime-api-server EVENT_FILE...\n");
    return 2;
  }
  load_events(argc, argv);
  int lfd = listen_socket();
  struct pollfd fds[MAX_CONNS + 2];
  for (;;) {
    fds[0] = (struct pollfd){.fd = 0, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = lfd, .events = POLLIN};
    for (int i = 0; i < n_conns; i++) fds[i + 2] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
    int polled = n_conns;
    if (poll(fds, (nfds_t)polled + 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[0].revents && command() < 0) return 0;
    if (fds[1].revents && n_conns < MAX_CONNS) {
      int fd = accept(lfd, NULL, NULL);
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      conns[n_conns++] = (struct conn){.fd = fd};
    }
    for (int i = polled - 1; i >= 0; i--) {
      if (!fds[i + 2].revents) continue;
      do { /* a request already read in part or whole would not wake poll */
        struct request r;
        if (read_request(&conns[i], &r) < 0 || handle(&conns[i], &r) < 0) {
          close_conn(i);
          break;
        }
        consume(&conns[i], r.end);
      } while (conns[i].have > 0);
    }
  }
}
