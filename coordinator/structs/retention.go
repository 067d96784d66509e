package structs

// CheckpointDeleteRequest removes ledger records that checkpoint retention no longer
// keeps, all in one Raft entry per sweep. The FSM re-checks every ID against the
// retention rules at apply time and skips any that became protected (pinned,
// released, resumed from, or now among the last K / best) after the leader decided.
type CheckpointDeleteRequest struct {
	WriteRequest
	CheckpointIDs []string `json:"checkpoint_ids"`
}

// MetricLowerIsBetter reports whether a smaller value of the named metric is better
// (losses); for every other metric (AUROC, accuracy) larger is better.
func MetricLowerIsBetter(metric string) bool {
	return metric == "val_loss" || metric == "loss" || metric == "train_loss"
}
