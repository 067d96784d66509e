package main

import "github.com/spf13/cobra"

// newModelsCommand groups the released-model commands of validators and trusts.
func newModelsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "models",
		Short: "Released models: release and revoke (validators); list, pull and verify offline (trusts)",
	}
	cmd.AddCommand(newModelsReleaseCommand(), newModelsRevokeCommand(), newModelsLsCommand(),
		newModelsPullCommand(), newModelsVerifyCommand())
	return cmd
}
