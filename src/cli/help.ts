export const HELP = `121chat — one-on-one chat over TCP; every message is acknowledged and timed.

Usage:
  121chat                              ask for the mode, then the port or host (on a terminal)
  121chat server [--port N] [--host ADDR]
  121chat client HOST[:PORT] [--port N]

HOST is an IPv4 address, an IPv6 address (in brackets when a port follows: [::1]:7121) or a host name.

Options:
  -p, --port N               TCP port (default 7121; a server given 0 picks a free one)
      --host ADDR            server: the address to listen on (default: all interfaces, IPv6 and IPv4)
      --max-message-size N   largest message this side accepts, e.g. 65536, 64k, 16m, 1g (default 16m)
      --json                 one JSON event per line on stdout, for scripts
      --no-color             no colours (also when NO_COLOR is set)
      --ping-interval S      send a keepalive PING after S seconds of silence (default 15)
      --dead-after S         give up on a peer silent for S seconds (default 45)
  -h, --help                 this help
  -v, --version              version and build

Environment:
  MODE=server|client   IP_ADDR=HOST[:PORT]   PORT=N   NO_COLOR=1
  Flags win over the environment, the environment over prompts.

Interactive commands (type them as a message):
  /help   /stats   /quit      //text sends "/text"

Standard input that is not a terminal (pipe mode): each line is one message, sent byte for byte; each
received message is written to stdout followed by a newline; status goes to stderr. A client exits when its
input ends and its messages are acknowledged.

Examples:
  121chat server                       wait for a client on port 7121
  121chat client 192.168.1.20          chat with that server
  121chat client [::1]:7000            IPv6, another port
  printf 'hello\\n' | 121chat client localhost
  121chat server --json --port 0       JSON events; the 'listening' event names the port

Exit status: 0 normal end, 1 runtime failure (refused, unreachable, busy, protocol error, messages left
unacknowledged at the end of piped input), 2 usage error.
`;
