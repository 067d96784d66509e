package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/client"
)

func newACLCommand() *cobra.Command {
	var cluster clusterFlags
	cmd := &cobra.Command{Use: "acl", Short: "Bootstrap the ACL system and manage tokens"}
	cluster.register(cmd)
	bootstrap := &cobra.Command{
		Use:   "bootstrap",
		Short: "Create the first admin token (works once per cluster)",
		Long:  "Create the first admin token. It works once per cluster; keep the secret it prints safe.",
		Args:  cobra.NoArgs,
		RunE: cluster.run(func(ctx context.Context, api *client.Client, _ []string) error {
			tok, err := api.ACLBootstrap(ctx)
			if err != nil {
				return err
			}
			fmt.Printf("accessor %s\nsecret   %s\n", tok.AccessorID, tok.SecretID)
			return nil
		}),
	}
	var roles []string
	var asJSON bool
	create := &cobra.Command{
		Use: "token-create NAME --role ROLE", Short: "Create a token with roles (admin, researcher, validator, trust, agent)", Args: cobra.ExactArgs(1),
		RunE: cluster.run(func(ctx context.Context, api *client.Client, args []string) error {
			tok, err := api.CreateToken(ctx, args[0], roles...)
			if err != nil || asJSON {
				return orJSON(tok, err)
			}
			fmt.Printf("accessor %s\nsecret   %s\nroles    %s\n", tok.AccessorID, tok.SecretID, joinRoles(tok.Roles))
			return nil
		}),
	}
	create.Flags().StringSliceVar(&roles, "role", nil, "role to grant (repeatable)")
	addJSONFlag(create, &asJSON)
	cmd.AddCommand(bootstrap, create)
	return cmd
}
