// Package pki is the cluster's own certificate authority and the mutual TLS built on
// it, as `nomad tls` and `consul tls` provide theirs: a CA per cluster, certificates
// whose role (server, agent or client) is part of the certificate, and TLS
// configurations that verify the peer's role on every connection and pick up
// rotated files on Reload (SIGHUP) without a restart.
//
// The role lives in a URI SAN, dxtrain://CLUSTER/ROLE/NAME, and a DNS SAN
// ROLE.CLUSTER.dxtrain names it as Nomad's server.REGION.nomad does. Peers are
// verified against the CA and by role, not by host name: a Raft peer must hold a
// server certificate whatever address it dials from, so an agent's certificate can
// never join Raft and a stolen client certificate can never act as a server.
package pki
