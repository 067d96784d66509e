package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/pki"
)

// tlsFlags are a server's or an agent's --tls-* flags; given flags win over the
// --config file's tls section.
type tlsFlags struct {
	files     pki.Files
	plaintext bool
}

func (t *tlsFlags) register(cmd *cobra.Command, role string) {
	f := cmd.Flags()
	f.StringVar(&t.files.CA, "tls-ca-file", "", "the cluster's CA certificate (`dxtrain tls ca create`)")
	f.StringVar(&t.files.Cert, "tls-cert-file", "", "this "+role+"'s certificate (`dxtrain tls cert create --"+role+"`)")
	f.StringVar(&t.files.Key, "tls-key-file", "", "this "+role+"'s private key (mode 0600)")
	f.BoolVar(&t.plaintext, "insecure-plaintext", false, "run without TLS: tokens, specs and gradients cross the network in the clear (never with patient data)")
}

// apply copies the flags given on the command line over the config's values.
func (t *tlsFlags) apply(cmd *cobra.Command, files *pki.Files, plaintext *bool) {
	changed := cmd.Flags().Changed
	if changed("tls-ca-file") {
		files.CA = t.files.CA
	}
	if changed("tls-cert-file") {
		files.Cert = t.files.Cert
	}
	if changed("tls-key-file") {
		files.Key = t.files.Key
	}
	if changed("insecure-plaintext") {
		*plaintext = t.plaintext
	}
}

// userTLS is the CLI user's TLS from DXTRAIN_CACERT, DXTRAIN_CLIENT_CERT and
// DXTRAIN_CLIENT_KEY; nil when DXTRAIN_CACERT is unset (a plaintext cluster).
func userTLS() (*pki.Source, error) {
	files := pki.Files{CA: os.Getenv("DXTRAIN_CACERT"), Cert: os.Getenv("DXTRAIN_CLIENT_CERT"), Key: os.Getenv("DXTRAIN_CLIENT_KEY")}
	if files == (pki.Files{}) {
		return nil, nil
	}
	return pki.Load(files)
}

// apiOptions are the client options for talking to the servers with src (nil: none).
func apiOptions(src *pki.Source) []client.Option {
	if src == nil {
		return nil
	}
	return []client.Option{client.WithTLS(src.ClientConfig(pki.RoleServer))}
}

// reloadOnHangup calls reload on every SIGHUP until ctx ends, as Nomad and Consul
// reload their certificates.
func reloadOnHangup(ctx context.Context, log *slog.Logger, what string, reload func() error) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := reload(); err != nil {
					log.Error("SIGHUP: reload failed", "what", what, "error", err)
				} else {
					log.Info("SIGHUP: reloaded", "what", what)
				}
			}
		}
	}()
}
