package main

import "github.com/spf13/cobra"

// newModelsCommand groups the released-model commands of validators and trusts.
func newModelsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "models", Short: "Released models: verify a release directory offline"}
	cmd.AddCommand(newModelsVerifyCommand())
	return cmd
}
