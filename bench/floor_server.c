// floor_server: the least a Redis-protocol server can do on this machine,
// the reference bench/compare quotes latency, CPU and system calls beside
// (issue 13, "The floor"), and the trivial static server whose start-up
// emberkv's is timed against.
//
//   floor_server PORT
//
// One thread, one level-triggered epoll loop on 127.0.0.1:PORT. Each time a
// connection is readable it reads once, answers every whole command it has
// (GET: a null bulk string; PING: +PONG; anything else: +OK), writes all the
// answers at once, and keeps an incomplete command for the next read. It
// stores nothing. A command longer than the input buffer, or framing it
// cannot follow, closes the connection. SIGTERM ends it.
#define _GNU_SOURCE  // accept4
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kMaxFds = 65536, kInSize = 16384, kOutSize = 7 * kInSize };

// A command is at least 1 byte ("\n") and an answer at most 7: the output
// buffer holds the answers to a full input buffer. Calloc'ed per connection;
// the kernel maps only the pages used.
struct conn {
  size_t in_len, out_off, out_len;
  int waiting_to_write;  // EPOLLOUT instead of EPOLLIN: reads wait
  char in[kInSize];
  char out[kOutSize];
};

static struct conn* conns[kMaxFds];
static int epoll_fd;

static void close_conn(int fd) {
  close(fd);  // also leaves the epoll set
  free(conns[fd]);
  conns[fd] = NULL;
}

// Looks at one command at the start of in[0, len): returns its length, 0
// if it is not all there yet, -1 if it is not RESP. *name is its first word.
static long parse_command(const char* in, size_t len, const char** name, size_t* name_len) {
  const char* end = in + len;
  const char* eol = memchr(in, '\n', len);
  if (!eol) return 0;
  if (in[0] != '*') {  // inline: PING\r\n
    *name = in;
    *name_len = strcspn(in, " \r\n");
    return eol + 1 - in;
  }
  long argc = strtol(in + 1, NULL, 10);
  if (argc < 1 || argc > kInSize) return -1;
  const char* p = eol + 1;
  for (long i = 0; i < argc; i++) {
    if (p >= end) return 0;
    if (*p != '$') return -1;
    if (!(eol = memchr(p, '\n', end - p))) return 0;
    long n = strtol(p + 1, NULL, 10);
    if (n < 0 || n > kInSize) return -1;
    if (end - (eol + 1) < n + 2) return 0;
    if (i == 0) {
      *name = eol + 1;
      *name_len = n;
    }
    p = eol + 1 + n + 2;
  }
  return p - in;
}

// Writes what is pending; waits for EPOLLOUT (and stops reading) if the
// socket takes only part of it.
static void flush_conn(int fd, struct conn* c) {
  ssize_t n = write(fd, c->out + c->out_off, c->out_len - c->out_off);
  if (n < 0 && errno != EAGAIN) return close_conn(fd);
  if (n > 0) c->out_off += n;
  int waiting = c->out_off < c->out_len;
  if (!waiting) c->out_off = c->out_len = 0;
  if (waiting != c->waiting_to_write) {
    c->waiting_to_write = waiting;
    struct epoll_event ev = {.events = waiting ? EPOLLOUT : EPOLLIN, .data.fd = fd};
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &ev);
  }
}

static void on_readable(int fd, struct conn* c) {
  ssize_t n = read(fd, c->in + c->in_len, kInSize - c->in_len);
  if (n == 0 || (n < 0 && errno != EAGAIN)) return close_conn(fd);
  if (n < 0) return;
  c->in_len += n;
  size_t used = 0;
  const char* name = NULL;
  size_t name_len = 0;
  long len = 0;
  while (used < c->in_len &&
         (len = parse_command(c->in + used, c->in_len - used, &name, &name_len)) > 0) {
    const char* answer = name_len == 3 && !strncasecmp(name, "GET", 3)    ? "$-1\r\n"
                         : name_len == 4 && !strncasecmp(name, "PING", 4) ? "+PONG\r\n"
                                                                          : "+OK\r\n";
    size_t answer_len = strlen(answer);
    memcpy(c->out + c->out_len, answer, answer_len);
    c->out_len += answer_len;
    used += len;
  }
  if (len < 0 || (used == 0 && c->in_len == kInSize)) return close_conn(fd);
  memmove(c->in, c->in + used, c->in_len - used);
  c->in_len -= used;
  if (c->out_len) flush_conn(fd, c);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: floor_server PORT\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons(atoi(argv[1])),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(listener, (struct sockaddr*)&addr, sizeof(addr)) != 0 || listen(listener, 511) != 0) {
    perror("floor_server: bind/listen");
    return 1;
  }
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &ev);
  struct epoll_event events[256];
  for (;;) {
    int ready = epoll_wait(epoll_fd, events, 256, -1);
    for (int i = 0; i < ready; i++) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        int client;
        while ((client = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          if (client >= kMaxFds || !(conns[client] = calloc(1, sizeof(struct conn)))) {
            close(client);
            continue;
          }
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          struct epoll_event cev = {.events = EPOLLIN, .data.fd = client};
          epoll_ctl(epoll_fd, EPOLL_CTL_ADD, client, &cev);
        }
      } else if (conns[fd] && (events[i].events & EPOLLOUT)) {
        flush_conn(fd, conns[fd]);
      } else if (conns[fd]) {
        on_readable(fd, conns[fd]);
      }
    }
  }
}
