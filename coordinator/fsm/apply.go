package fsm

import (
	"github.com/dxtrain/dxtrain/coordinator/state"
	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// auditable is any command: they all embed structs.WriteRequest.
type auditable interface {
	GetWriteRequest() *structs.WriteRequest
}

// command wraps a typed state call into an applyFn: decode, call, then append the
// command's audit entry (if any) with the call's outcome, in the same apply.
func command[R any, P interface {
	*R
	auditable
}](call func(s *state.Store, index uint64, req P) error) applyFn {
	return func(s *state.Store, index uint64, body []byte) error {
		req := P(new(R))
		if err := structs.Decode(body, req); err != nil {
			s.SetIndex(index)
			return err
		}
		err := call(s, index, req)
		if a := req.GetWriteRequest().Audit; a != nil {
			e := *a
			e.Outcome, e.Error = structs.OutcomeOK, ""
			if err != nil {
				e.Outcome, e.Error = structs.OutcomeError, err.Error()
			}
			s.AppendAudit(index, e)
		}
		return err
	}
}

// registry maps every known MessageType to its apply function.
func registry() map[structs.MessageType]applyFn {
	return map[structs.MessageType]applyFn{
		structs.NodeRegisterRequestType:        command((*state.Store).UpsertNode),
		structs.NodeStatusRequestType:          command((*state.Store).UpdateNodeStatus),
		structs.NodeDrainRequestType:           command((*state.Store).DrainNode),
		structs.DatasetRegisterRequestType:     command((*state.Store).RegisterDataset),
		structs.ExperimentSubmitRequestType:    command((*state.Store).SubmitExperiment),
		structs.ExperimentCancelRequestType:    command((*state.Store).CancelExperiment),
		structs.ExperimentProgressRequestType:  command((*state.Store).RecordProgress),
		structs.AttemptCreateRequestType:       command((*state.Store).CreateAttempt),
		structs.AttemptEndRequestType:          command((*state.Store).EndAttempt),
		structs.CheckpointCommitRequestType:    command((*state.Store).CommitCheckpoint),
		structs.CheckpointFlagRequestType:      command((*state.Store).FlagCheckpoint),
		structs.ACLBootstrapRequestType:        command((*state.Store).BootstrapACL),
		structs.ACLTokenUpsertRequestType:      command((*state.Store).UpsertToken),
		structs.ACLTokenDeleteRequestType:      command((*state.Store).DeleteToken),
		structs.ServerMemberUpsertRequestType:  command((*state.Store).UpsertMember),
		structs.ServerMemberDeleteRequestType:  command((*state.Store).DeleteMember),
		structs.ModelReleaseRequestType:        command((*state.Store).ReleaseModel),
		structs.ModelRevokeRequestType:         command((*state.Store).RevokeModel),
		structs.DeviceUnhealthyRequestType:     command((*state.Store).MarkDeviceUnhealthy),
		structs.DeviceUncordonRequestType:      command((*state.Store).UncordonDevice),
		structs.CheckpointDeleteRequestType:    command((*state.Store).DeleteCheckpoints),
		structs.AlertRecordRequestType:         command((*state.Store).RecordAlert),
		structs.AlertAckRequestType:            command((*state.Store).AckAlert),
		structs.AttemptRendezvousRequestType:   command((*state.Store).SetRendezvous),
		structs.AttemptResumedRequestType:      command((*state.Store).SetResumedFrom),
		structs.ExperimentArtifactRequestType:  command((*state.Store).RecordArtifact),
		structs.SecurityEventsRequestType:      command((*state.Store).RecordSecurityEvents),
		structs.ModelReportSubmitRequestType:   command((*state.Store).SubmitReport),
		structs.AttemptStopRequestType:         command((*state.Store).StopAttempt),
		structs.ProjectUpsertRequestType:       command((*state.Store).UpsertProject),
		structs.ProjectDeleteRequestType:       command((*state.Store).DeleteProject),
		structs.PriorityClassUpsertRequestType: command((*state.Store).UpsertPriorityClass),
	}
}
