package external

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dxtrain/dxtrain/internal/version"
	"github.com/dxtrain/dxtrain/models/release"
	"github.com/dxtrain/dxtrain/storage"
)

// Sign seals e as the trust's site report on the verified release v, signed with the
// trust's key: report.json and its signature. It refuses an evaluation with a count
// under its floor, which Evaluate never makes; the check is the last line of defence
// before anything leaves the trust.
func Sign(v *release.Verified, e *Evaluation, site string, priv ed25519.PrivateKey, now time.Time) (report, sig []byte, err error) {
	if err := e.checkFloor(); err != nil {
		return nil, nil, fmt.Errorf("sign site report: %w", err)
	}
	body, err := json.Marshal(e)
	if err != nil {
		return nil, nil, fmt.Errorf("sign site report: %w", err)
	}
	r := release.SiteReport{
		Site: site, ModelName: v.Statement.ModelName, ModelVersion: v.Statement.ModelVersion,
		ONNXSHA256: v.Statement.ONNXSHA256, StatementSHA256: storage.Digest(v.Files.Statement),
		CodeVersion: version.String(), SuppressBelow: e.Floor, CreatedAt: now.UTC().Truncate(time.Second), Evaluation: body,
	}
	return release.SignReport(r, priv)
}

// ReadEvaluation decodes a verified site report's evaluation and checks its floor.
func ReadEvaluation(r *release.SiteReport) (*Evaluation, error) {
	var e Evaluation
	if err := json.Unmarshal(r.Evaluation, &e); err != nil {
		return nil, fmt.Errorf("site report of %s: evaluation: %w", r.Site, err)
	}
	if e.Floor != r.SuppressBelow {
		return nil, fmt.Errorf("site report of %s: the evaluation's floor %d is not the report's %d", r.Site, e.Floor, r.SuppressBelow)
	}
	if err := e.checkFloor(); err != nil {
		return nil, fmt.Errorf("site report of %s: %w", r.Site, err)
	}
	return &e, nil
}

// checkFloor refuses any shown count between 0 and the floor.
func (e *Evaluation) checkFloor() error {
	if e.Floor < 1 {
		return fmt.Errorf("floor %d, want at least 1", e.Floor)
	}
	var bad []string
	see := func(where string, c Count) {
		if c.N > 0 && c.N < e.Floor {
			bad = append(bad, where)
		}
	}
	see("n", e.N)
	see("positives", e.Positives)
	for _, op := range []*Operating{&e.AtCard, e.AtLocal} {
		if op != nil {
			for _, c := range []Count{op.TP, op.FP, op.TN, op.FN} {
				see("confusion cell", c)
			}
		}
	}
	for _, b := range e.Calibration.Bins {
		see("calibration bin", b.N)
	}
	for _, a := range e.Subgroups {
		for _, g := range a.Groups {
			see("subgroup "+a.Attribute, g.N)
			see("subgroup "+a.Attribute+" positives", g.Positives)
			if g.AtCard != nil {
				for _, c := range []Count{g.AtCard.TP, g.AtCard.FP, g.AtCard.TN, g.AtCard.FN} {
					see("subgroup "+a.Attribute+" confusion cell", c)
				}
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d counts under the floor of %d (%s)", len(bad), e.Floor, bad[0])
	}
	return nil
}
