#!/bin/sh
# Makes a throwaway certificate authority and a server certificate it signed, for loopback TLS
# tests: DIR/ca.pem (the CA's certificate, the one to trust), DIR/server.pem and
# DIR/server.key (for 127.0.0.1, ::1 and localhost). Valid two days; nothing else trusts them.
#   testca.sh DIR
set -eu
d=$1
ssl() { openssl "$@" 2>/dev/null; }
ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=libskycrate test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$d/ca.key" -out "$d/ca.pem"
ssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$d/server.key" -out "$d/server.csr"
printf '%s\n' "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" "basicConstraints=CA:FALSE" \
    "extendedKeyUsage=serverAuth" >"$d/server.ext"
ssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/server.ext" -out "$d/server.pem"
rm -f "$d/server.csr" "$d/server.ext" "$d/ca.srl"
