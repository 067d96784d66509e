// Command dxtrain is the one binary of dxtrain: the coordinator server, the worker
// agent, the embedded dev cluster and the CLI of researchers, validators and trusts.
// It stays thin: flags become a config, the config goes to a package, the package runs.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "dxtrain:", err)
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	var verbose bool
	root := &cobra.Command{
		Use:           "dxtrain",
		Short:         "Train diagnostic models on anonymised patient data, and release them to trusts",
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelDebug
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
		},
	}
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log debug detail to stderr")
	root.AddCommand(
		newTrainCommand(), newPredictCommand(),
		newServerCommand(), newAgentCommand(), newDevCommand(),
		newRunCommand(), newLogsCommand(), newExperimentsCommand(), newNodesCommand(), newStatusCommand(), newACLCommand(), newOperatorCommand(),
		newCheckpointsCommand(), newModelsCommand(), newKeysCommand(), newTLSCommand(), newDatasetsCommand(), newAlertsCommand(),
		newQueueCommand(), newProjectsCommand(), newPrioritiesCommand(),
	)
	return root
}
