"""An SMTP server that accepts every message and discards it: the benchmarks' recipient.

python -m bench.smtp_sink PORT   # prints "ready" when listening; "received N" on SIGTERM
"""

import signal
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += len(envelope.rcpt_tos)
        return "250 2.0.0 discarded"


def main() -> int:
    port = int(sys.argv[1])
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    print(f"received {sink.count}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
