"""A small IMAP server for tests: one mailbox of messages, the commands the bounce reader uses (plain TCP)."""

from __future__ import annotations

import re
import socketserver
import threading


class Mailbox:
    def __init__(self, messages: list[str], *, user: str, password: str):
        self.messages: list[bytes | None] = [m.replace("\n", "\r\n").encode() for m in messages]
        self.user, self.password = user, password
        self.logins: list[tuple[str, str]] = []


def serve(mailbox: Mailbox) -> tuple[socketserver.ThreadingTCPServer, int]:
    class Handler(socketserver.StreamRequestHandler):
        def reply(self, text: bytes) -> None:
            self.wfile.write(text)
            self.wfile.flush()

        def handle(self) -> None:
            self.reply(b"* OK test IMAP ready\r\n")
            deleted: set[int] = set()
            for raw in self.rfile:
                tag, _, rest = raw.decode().strip().partition(" ")
                command, _, args = rest.partition(" ")
                command = command.upper()
                if command == "CAPABILITY":
                    self.reply(b"* CAPABILITY IMAP4rev1\r\n" + f"{tag} OK CAPABILITY\r\n".encode())
                elif command == "LOGIN":
                    user, password = [p.strip('"') for p in re.findall(r'"[^"]*"|\S+', args)[:2]]
                    mailbox.logins.append((user, password))
                    ok = (user, password) == (mailbox.user, mailbox.password)
                    self.reply(f"{tag} {'OK' if ok else 'NO'} LOGIN\r\n".encode())
                elif command == "SELECT":
                    self.reply(f"* {len(mailbox.messages)} EXISTS\r\n{tag} OK [READ-WRITE] SELECT\r\n".encode())
                elif command == "SEARCH":
                    numbers = " ".join(str(i + 1) for i, m in enumerate(mailbox.messages) if m is not None)
                    self.reply(f"* SEARCH {numbers}\r\n{tag} OK SEARCH\r\n".encode())
                elif command == "FETCH":
                    number = int(args.split()[0])
                    data = mailbox.messages[number - 1] or b""
                    self.reply(f"* {number} FETCH (RFC822 {{{len(data)}}}\r\n".encode() + data + b")\r\n"
                               + f"{tag} OK FETCH\r\n".encode())
                elif command == "STORE":
                    deleted.add(int(args.split()[0]))
                    self.reply(f"{tag} OK STORE\r\n".encode())
                elif command == "EXPUNGE":
                    for number in deleted:
                        mailbox.messages[number - 1] = None
                    self.reply(f"{tag} OK EXPUNGE\r\n".encode())
                elif command == "LOGOUT":
                    self.reply(f"* BYE\r\n{tag} OK LOGOUT\r\n".encode())
                    return
                else:
                    self.reply(f"{tag} BAD unknown\r\n".encode())

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]
