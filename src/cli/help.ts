export const HELP = `121chat — one-on-one chat over TCP, end-to-end encrypted; every message is acknowledged
and timed.

Usage:
  121chat                              ask for the mode, then the port or host (on a terminal)
  121chat server [--port N] [--host ADDR]
  121chat client HOST[:PORT] [--port N]

HOST is an IPv4 address, an IPv6 address (in brackets when a port follows: [::1]:7121) or a host name.

The server shows a code of three words (e.g. orbit-lemon-swift); the client types it when asked. Both sides
then share keys that nobody without the code has, and everything after is encrypted and authenticated.
There is no --code option on purpose: the command line of every process can be read by every user of the
machine. Scripts give the code with CHAT121_CODE or --code-file.

Options:
  -p, --port N               TCP port (default 7121; a server given 0 picks a free one)
      --host ADDR            server: the address to listen on (default: all interfaces, IPv6 and IPv4)
      --max-message-size N   largest message this side accepts, e.g. 65536, 64k, 16m, 1g (default 16m)
      --json                 one JSON event per line on stdout, for scripts
      --no-color             no colours (also when NO_COLOR is set)
      --ping-interval S      send a keepalive PING after S seconds of silence (default 15)
      --dead-after S         treat a peer silent for S seconds as gone (default 45)
      --code-file PATH       read the code from a file (a server keeps a code it is given for its life)
      --resume-window S      server: keep a dropped session S seconds for its client (default 60; 0: off)
      --download-dir DIR     where received files go (default: the current folder)
      --accept-files         accept every file offer without asking
      --send PATH            send PATH (a file or a folder) once connected, wait until the other side
                             has it all, then exit (status 1 if declined, cancelled or failed)
      --no-encryption        protocol version 1, plaintext (both sides must use it; for debugging)
  -h, --help                 this help
  -v, --version              version and build

Environment:
  MODE=server|client   IP_ADDR=HOST[:PORT]   PORT=N   NO_COLOR=1   CHAT121_CODE=the-code
  Flags win over the environment, the environment over prompts.

Interactive commands (type them as a message):
  /help   /stats   /quit      //text sends "/text"
  /send PATH   /accept [N]   /decline [N]   /cancel [in|out] [N]   /files

Standard input that is not a terminal (pipe mode): each line is one message, sent byte for byte; each
received message is written to stdout followed by a newline; status goes to stderr. A client exits when its
input ends and its messages are acknowledged.

Examples:
  121chat server                       wait for a client on port 7121; shows the code to give it
  121chat client 192.168.1.20          chat with that server (asks for the code)
  121chat client [::1]:7000            IPv6, another port
  printf 'hello\\n' | CHAT121_CODE=orbit-lemon-swift 121chat client localhost
  121chat server --json --port 0       JSON events; the 'listening' event names the port and the code
  121chat client host --send photos/   send a folder, then exit once it has arrived

Exit status: 0 normal end, 1 runtime failure (refused, unreachable, busy, wrong code, protocol error,
messages left unacknowledged at the end of piped input, a --send declined, cancelled or failed), 2 usage
error.
`;
