#!/bin/sh
# Throwaway TLS material for the TLS tests, made at test time (no key is ever committed).
#   gen_certs.sh DIR   writes into DIR:
#     ca.pem                  the test CA (trust this one)
#     server.pem server.key   a server certificate for IP 127.0.0.1 only, signed by ca.pem
#     other_ca.pem            an unrelated CA (a wrong trust store)
set -eu
dir=$1
cd "$dir"
days=2
cat > ca.cnf <<'CNF'
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
CNF
cat > server.ext <<'CNF'
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
CNF
for ca in ca other_ca; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days $days \
        -config ca.cnf -extensions v3_ca -subj "/CN=sofa test $ca" \
        -keyout $ca.key -out $ca.pem 2>/dev/null
done
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -config ca.cnf \
    -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days $days \
    -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr ca.srl ca.key other_ca.key ca.cnf server.ext
