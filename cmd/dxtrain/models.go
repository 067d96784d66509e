package main

import "github.com/spf13/cobra"

// newModelsCommand groups the released-model commands of validators and trusts.
func newModelsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "models",
		Short: "Released models: release and revoke (validators); list, pull, verify and evaluate on their own data (trusts)",
	}
	cmd.AddCommand(newModelsReleaseCommand(), newModelsRevokeCommand(), newModelsLsCommand(),
		newModelsPullCommand(), newModelsVerifyCommand(), newModelsEvaluateCommand(), newModelsReportCommand(), newModelsShowCommand())
	return cmd
}
