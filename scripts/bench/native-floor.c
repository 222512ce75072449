/*
 * The native floor: the least any server must do to serve the benchmark's client, in C. It answers HELLO
 * with HELLO and every MSG with its ACK (the ACKs of one read leave in one write), and does nothing else.
 * One client at a time, blocking I/O, on a free port of 127.0.0.1 (the benchmark finds it in /proc).
 * Built and started by scripts/bench.ts: cc -O2 -o native-floor native-floor.c
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEADER_SIZE 9
#define READ_SIZE (256 * 1024)

static unsigned char in[READ_SIZE];
/* At most one ACK per 9 bytes read, plus a HELLO. */
static unsigned char out[READ_SIZE + 64];

static const unsigned char hello[HEADER_SIZE + 12] = {
    0x01, 0, 0, 0, 0, 0, 0, 0, 12, '1', '2', '1', 'c', 'h', 'a', 't', 1, 0xff, 0xff, 0xff, 0xff};

static int write_all(int fd, const unsigned char *bytes, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, bytes, length);
    if (n <= 0) return -1;
    bytes += n;
    length -= (size_t)n;
  }
  return 0;
}

static void serve(int fd) {
  unsigned char header[HEADER_SIZE];
  size_t header_fill = 0;
  uint64_t skip = 0;
  int greeted = 0;
  for (;;) {
    ssize_t got = read(fd, in, sizeof in);
    if (got <= 0) return;
    size_t pos = 0, out_end = 0;
    while (pos < (size_t)got) {
      if (skip > 0) {
        size_t take = (size_t)got - pos < skip ? (size_t)got - pos : (size_t)skip;
        skip -= take;
        pos += take;
        continue;
      }
      size_t take = HEADER_SIZE - header_fill;
      if (take > (size_t)got - pos) take = (size_t)got - pos;
      memcpy(header + header_fill, in + pos, take);
      header_fill += take;
      pos += take;
      if (header_fill < HEADER_SIZE) break;
      header_fill = 0;
      skip = ((uint64_t)header[5] << 24) | (header[6] << 16) | (header[7] << 8) | header[8];
      if (header[0] == 0x01 && !greeted) {
        greeted = 1;
        memcpy(out + out_end, hello, sizeof hello);
        out_end += sizeof hello;
      } else if (header[0] == 0x02) {
        out[out_end] = 0x03;
        memcpy(out + out_end + 1, header + 1, 4);
        memset(out + out_end + 5, 0, 4);
        out_end += HEADER_SIZE;
      }
    }
    if (out_end > 0 && write_all(fd, out, out_end) != 0) return;
  }
}

int main(void) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
      listen(listener, 16) != 0)
    return 1;
  for (;;) {
    int fd = accept(listener, 0, 0);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    serve(fd);
    close(fd);
  }
}
