#!/usr/bin/python3
"""A TLS front for a plain-http server on loopback, for tests.

    tlsproxy.py CERT KEY UPSTREAM_PORT

Listens on 127.0.0.1 on a free port, prints the port (one line), and forwards what each TLS
connection carries to 127.0.0.1:UPSTREAM_PORT and back. Runs until it is killed.
"""
import os
import socket
import ssl
import sys
import threading


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(conn, ctx, upstream):
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError):  # a client that does not trust us, or speaks plain http
        conn.close()
        return
    with tls, socket.create_connection(("127.0.0.1", upstream)) as up:
        back = threading.Thread(target=pump, args=(up, tls), daemon=True)
        back.start()
        pump(tls, up)
        back.join()


def main():
    cert, key, upstream = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    # One write, then stdout is done with: whoever started us may close its end of the pipe.
    os.write(1, b"%d\n" % listener.getsockname()[1])
    os.close(1)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, ctx, upstream), daemon=True).start()


main()
