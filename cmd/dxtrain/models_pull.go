package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dxtrain/dxtrain/coordinator/client"
	"github.com/dxtrain/dxtrain/coordinator/structs"
	"github.com/dxtrain/dxtrain/models/release"
	"github.com/dxtrain/dxtrain/storage"
)

// maxPullFile bounds one downloaded release file held in memory (the ONNX model).
const maxPullFile = 2 << 30

// newModelsPullCommand is `dxtrain models pull`: the trust's download. Nothing is
// written before the signature and every hash check out.
func newModelsPullCommand() *cobra.Command {
	var flags clusterFlags
	var pubPath, out string
	cmd := &cobra.Command{
		Use:   "pull NAME@VERSION|NAME@latest --pubkey approver.pub --out DIR",
		Short: "Download a released version, verify it with the approver's key, then write it to DIR",
		Long: `Download the four files of a released version (model.onnx, card.json,
statement.json, statement.sig) into memory, check each against the SHA-256 the
registry recorded, check the signature over statement.json with the approver's
public key and that the statement binds the model and the card, and only then write
them to DIR (created; an existing DIR must be empty or hold this exact release).

NAME@latest is the newest version that is not revoked. A revoked version is refused
with the reason it was revoked.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pub, err := release.LoadPublicKey(pubPath)
			if err != nil {
				return err
			}
			api, err := flags.client()
			if err != nil {
				return err
			}
			name, ver, err := resolveModelRef(cmd.Context(), api, args[0])
			if err != nil {
				return err
			}
			v, err := pullRelease(cmd.Context(), api, name, ver, pub)
			if err != nil {
				return err
			}
			if err := release.WriteRelease(out, v.Files); err != nil {
				return err
			}
			fmt.Printf("pulled %s@%d into %s: signature by %s (key %s) verified\n", name, ver, out, v.Statement.Approver, v.Fingerprint)
			return nil
		},
	}
	flags.register(cmd)
	cmd.Flags().StringVar(&pubPath, "pubkey", "", "the approver's public key file, NAME.pub (required)")
	cmd.Flags().StringVar(&out, "out", "", "directory to write the release into (required)")
	_ = cmd.MarkFlagRequired("pubkey")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// resolveModelRef reads NAME@VERSION, or NAME@latest: the newest version not revoked.
func resolveModelRef(ctx context.Context, api *client.Client, ref string) (string, int, error) {
	name, ok := strings.CutSuffix(ref, "@latest")
	if !ok {
		return parseModelRef(ref)
	}
	if _, _, err := parseModelRef(name + "@1"); err != nil { // the same name rules
		return "", 0, err
	}
	versions, err := api.ModelVersions(ctx, name)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", ref, err)
	}
	latest := 0
	for _, v := range versions {
		if !v.Revoked && v.Version > latest {
			latest = v.Version
		}
	}
	switch {
	case len(versions) == 0:
		return "", 0, fmt.Errorf("%s: model %s has no released version", ref, name)
	case latest == 0:
		return "", 0, fmt.Errorf("%s: every version of model %s (%d) is revoked", ref, name, len(versions))
	}
	return name, latest, nil
}

// pullRelease downloads and verifies name@ver in memory. It refuses a revoked
// version, and a signed release that is not the one asked for (another name or
// version, or other bytes than the registry recorded).
func pullRelease(ctx context.Context, api *client.Client, name string, ver int, pub ed25519.PublicKey) (*release.Verified, error) {
	mv, err := api.ModelVersion(ctx, name, ver)
	if err != nil {
		return nil, fmt.Errorf("pull %s@%d: %w", name, ver, err)
	}
	if mv.Revoked {
		return nil, fmt.Errorf("pull %s@%d: refused: the version is revoked: %s", name, ver, mv.RevokedReason)
	}
	var files release.Files
	into := map[string]*[]byte{structs.ModelFileONNX: &files.ONNX, structs.ModelFileCard: &files.Card,
		structs.ModelFileStatement: &files.Statement, structs.ModelFileSignature: &files.Signature}
	for _, file := range structs.ModelFiles {
		data, err := download(ctx, api, name, ver, file)
		if errors.Is(err, structs.ErrGone) {
			reason := "revoked while pulling"
			if m, merr := api.ModelVersion(ctx, name, ver); merr == nil && m.RevokedReason != "" {
				reason = m.RevokedReason
			}
			return nil, fmt.Errorf("pull %s@%d: refused: the version is revoked: %s", name, ver, reason)
		}
		if err != nil {
			return nil, fmt.Errorf("pull %s@%d: %w", name, ver, err)
		}
		if want, _ := mv.FileSHA256(file); want != storage.Digest(data) {
			return nil, fmt.Errorf("pull %s@%d: %s is not the file the registry recorded", name, ver, file)
		}
		*into[file] = data
	}
	v, err := release.VerifyBytes(files, pub)
	if err != nil {
		return nil, fmt.Errorf("pull %s@%d: refused, nothing written: %w", name, ver, err)
	}
	if v.Statement.ModelName != name || v.Statement.ModelVersion != strconv.Itoa(ver) {
		return nil, fmt.Errorf("pull %s@%d: refused, nothing written: the signed statement is for %s@%s", name, ver, v.Statement.ModelName, v.Statement.ModelVersion)
	}
	return v, nil
}

// download reads one file whole; the client's body fails on a hash mismatch.
func download(ctx context.Context, api *client.Client, name string, ver int, file string) ([]byte, error) {
	body, _, err := api.DownloadModelFile(ctx, name, ver, file)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, maxPullFile+1))
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", file, err)
	}
	if len(data) > maxPullFile {
		return nil, fmt.Errorf("download %s: larger than %d bytes", file, maxPullFile)
	}
	return data, nil
}

// newModelsLsCommand is `dxtrain models ls [NAME]`.
func newModelsLsCommand() *cobra.Command {
	var flags clusterFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls [NAME]",
		Short: "List released models (or one model's versions) with their revoked flags",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := flags.client()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				return listVersions(cmd.Context(), api, args[0], asJSON)
			}
			return listModels(cmd.Context(), api, asJSON)
		},
	}
	flags.register(cmd)
	addJSONFlag(cmd, &asJSON)
	return cmd
}

// modelListing is one row of `models ls --json`.
type modelListing struct {
	Name          string `json:"name"`
	LatestVersion int    `json:"latest_version"`
	Versions      int    `json:"versions"`
	Revoked       []int  `json:"revoked"` // revoked version numbers
	LatestRevoked bool   `json:"latest_revoked"`
	Approver      string `json:"latest_approver"`
}

func listModels(ctx context.Context, api *client.Client, asJSON bool) error {
	sums, err := api.Models(ctx)
	if err != nil {
		return err
	}
	rows := make([]modelListing, 0, len(sums))
	for _, s := range sums {
		vs, err := api.ModelVersions(ctx, s.Name)
		if err != nil {
			return fmt.Errorf("versions of %s: %w", s.Name, err)
		}
		r := modelListing{Name: s.Name, LatestVersion: s.LatestVersion, Versions: s.Versions, Revoked: []int{},
			LatestRevoked: s.Latest.Revoked, Approver: s.Latest.Approver}
		for _, v := range vs {
			if v.Revoked {
				r.Revoked = append(r.Revoked, v.Version)
			}
		}
		rows = append(rows, r)
	}
	if asJSON {
		return printJSON(rows)
	}
	tw := newTable()
	fmt.Fprintln(tw, "NAME\tLATEST\tVERSIONS\tREVOKED\tAPPROVER")
	for _, r := range rows {
		revoked := "-"
		if len(r.Revoked) > 0 {
			nums := make([]string, len(r.Revoked))
			for i, v := range r.Revoked {
				nums[i] = strconv.Itoa(v)
			}
			revoked = strings.Join(nums, ",")
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", r.Name, r.LatestVersion, r.Versions, revoked, r.Approver)
	}
	return tw.Flush()
}

func listVersions(ctx context.Context, api *client.Client, name string, asJSON bool) error {
	vs, err := api.ModelVersions(ctx, name)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(vs)
	}
	tw := newTable()
	fmt.Fprintln(tw, "VERSION\tCREATED\tSTEP\tTEST_AUROC\tAPPROVER\tREVOKED\tONNX_SHA256")
	for _, v := range vs {
		revoked := "no"
		if v.Revoked {
			revoked = "yes: " + v.RevokedReason
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%.4f\t%s\t%s\t%s\n", v.Version, unixTime(v.CreatedAt), v.CheckpointStep, v.Metrics["test_auroc"], v.Approver, revoked, v.ONNXSHA256)
	}
	return tw.Flush()
}
