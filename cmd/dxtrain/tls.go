package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/pki"
)

// newTLSCommand is `dxtrain tls`: the cluster's certificate authority, as `nomad tls`.
func newTLSCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tls",
		Short: "Create the cluster's certificate authority and the certificates of servers, agents and users",
	}
	ca := &cobra.Command{Use: "ca", Short: "The cluster's certificate authority"}
	ca.AddCommand(newTLSCACreateCommand())
	cert := &cobra.Command{Use: "cert", Short: "Certificates issued by the cluster's CA"}
	cert.AddCommand(newTLSCertCreateCommand())
	cmd.AddCommand(ca, cert)
	return cmd
}

func newTLSCACreateCommand() *cobra.Command {
	var dir, cluster string
	var days int
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Write a new CA: ca.pem (trusted by every member) and ca-key.pem (mode 0600, keep it offline)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ca, err := pki.CreateCA(dir, cluster, time.Duration(days)*24*time.Hour)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "CA certificate  %s\n", filepath.Join(dir, pki.CACertFile))
			fmt.Fprintf(out, "CA key          %s  (mode 0600; keep it off the cluster's machines)\n", filepath.Join(dir, pki.CAKeyFile))
			fmt.Fprintf(out, "cluster         %s\n", ca.Cluster)
			fmt.Fprintf(out, "fingerprint     sha256:%s\n", pki.Fingerprint(ca.Cert))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "tls", "directory to write the CA into")
	cmd.Flags().StringVar(&cluster, "cluster", pki.DefaultCluster, "cluster name: certificates name it (server.CLUSTER.dxtrain)")
	cmd.Flags().IntVar(&days, "days", 5*365, "validity in days")
	return cmd
}

func newTLSCertCreateCommand() *cobra.Command {
	var (
		caDir, out, name      string
		server, agent, client bool
		hosts                 []string
		days                  int
	)
	cmd := &cobra.Command{
		Use:   "create --server|--agent|--client --name NAME",
		Short: "Issue a certificate and key (mode 0600) for one server, agent or user",
		Long: `Issue an ECDSA P-256 certificate signed by the CA in --ca-dir. Its role is part of
the certificate (a URI SAN dxtrain://CLUSTER/ROLE/NAME and a DNS SAN
ROLE.CLUSTER.dxtrain): servers accept only server certificates on Raft, agents
only agent certificates on the ring, and the API requires a certificate of the
right role from agents and servers.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			role, err := oneRole(server, agent, client)
			if err != nil {
				return err
			}
			ca, err := pki.LoadCA(caDir)
			if err != nil {
				return err
			}
			validity := time.Duration(days) * 24 * time.Hour
			if left := time.Until(ca.Cert.NotAfter); !cmd.Flags().Changed("days") && validity > left {
				validity = left // the default never outlives the CA; an explicit --days is refused if it does
			}
			f, err := ca.Issue(out, pki.CertRequest{Role: role, Name: name, Hosts: hosts, Validity: validity})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "certificate  %s\n", f.Cert)
			fmt.Fprintf(w, "key          %s  (mode 0600)\n", f.Key)
			fmt.Fprintf(w, "identity     %s (%s)\n", f.Identity, f.Identity.DNSName())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&caDir, "ca-dir", "tls", "directory holding ca.pem and ca-key.pem")
	f.StringVar(&out, "dir", "tls", "directory to write the certificate and key into")
	f.StringVar(&name, "name", "", "the holder: a server's or agent's node ID, or a person")
	f.BoolVar(&server, "server", false, "a coordinator server's certificate")
	f.BoolVar(&agent, "agent", false, "a worker agent's certificate")
	f.BoolVar(&client, "client", false, "a user's or tool's certificate")
	f.StringSliceVar(&hosts, "host", nil, "extra DNS names or IP addresses (for tools that check host names)")
	f.IntVar(&days, "days", 365, "validity in days (default: a year, or until the CA expires if sooner)")
	return cmd
}

func oneRole(server, agent, client bool) (pki.Role, error) {
	var roles []pki.Role
	for _, r := range []struct {
		on   bool
		role pki.Role
	}{{server, pki.RoleServer}, {agent, pki.RoleAgent}, {client, pki.RoleClient}} {
		if r.on {
			roles = append(roles, r.role)
		}
	}
	if len(roles) != 1 {
		return "", fmt.Errorf("give exactly one of --server, --agent, --client")
	}
	return roles[0], nil
}
