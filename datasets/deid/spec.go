package deid

import (
	"fmt"
	"time"
)

// Role says what a column is and how it is treated.
type Role string

// The roles a column may have.
const (
	RoleFeature         Role = "feature"          // a model input, kept as is
	RoleLabel           Role = "label"            // the target, kept as is
	RoleIdentifier      Role = "identifier"       // dropped or pseudonymised (action)
	RoleDateOfBirth     Role = "date_of_birth"    // becomes a 5-year age band, 90+ top-coded
	RoleEventDate       Role = "event_date"       // becomes YYYY-MM
	RolePostcode        Role = "postcode"         // becomes the outward code (district)
	RoleQuasiIdentifier Role = "quasi_identifier" // kept, and part of the small-group check
	RoleSubgroup        Role = "subgroup"         // kept for evaluation by subgroup, not a feature
	RoleFreeText        Role = "free_text"        // dropped unless allow: true
	RoleDrop            Role = "drop"             // dropped
)

var roles = []Role{
	RoleFeature, RoleLabel, RoleIdentifier, RoleDateOfBirth, RoleEventDate,
	RolePostcode, RoleQuasiIdentifier, RoleSubgroup, RoleFreeText, RoleDrop,
}

// Action is what happens to an identifier column.
type Action string

// Identifier actions.
const (
	ActionDrop         Action = "drop"
	ActionPseudonymise Action = "pseudonymise"
)

// Format is the layout of the raw input.
type Format string

// Input formats.
const (
	FormatCSV Format = "csv"
	FormatIDX Format = "idx"
	FormatNPZ Format = "npz"
)

const (
	// DefaultK is the smallest quasi-identifier group size when the spec sets none.
	DefaultK = 10
	// MinK is the smallest k a spec may set.
	MinK = 5
	// referenceDateLayout is how reference_date is written.
	referenceDateLayout = "2006-01-02"
)

// IngestSpec is a parsed and validated ingest spec.
type IngestSpec struct {
	Name        string
	Description string
	Input       Input
	Label       Label
	K           int
	// ReferenceDate is the date ages are computed at, so that age bands do
	// not depend on when ingest runs. Required with a date_of_birth column.
	ReferenceDate time.Time
	// KeyFile is where the pseudonymisation key lives; a command-line flag
	// may give it instead. The key itself is never in the spec.
	KeyFile string
	Columns []ColumnSpec // in spec order
	// DICOM is the dicom section, set exactly when Input.Format is FormatDICOM.
	DICOM *DICOM
}

// Input names the raw data.
type Input struct {
	Path   string
	Format Format
}

// Label names the target column and its classes.
type Label struct {
	Column  string
	Classes []string
}

// ColumnSpec is the declaration of one input column.
type ColumnSpec struct {
	Name   string
	Role   Role
	Action Action // identifier only
	Allow  bool   // free_text only: keep the text (the gate still scans it)
	// Output renames the column in the de-identified table (dob → age_band).
	Output string
	// QuasiIdentifier puts the column in the small-group check. Always true
	// for quasi_identifier, date_of_birth and postcode columns.
	QuasiIdentifier bool
	Line            int // line in the spec file, for messages
}

// OutputName is the column's name in the de-identified table.
func (c ColumnSpec) OutputName() string {
	if c.Output != "" {
		return c.Output
	}
	return c.Name
}

// Kept reports whether the column survives de-identification.
func (c ColumnSpec) Kept() bool {
	switch c.Role {
	case RoleDrop:
		return false
	case RoleIdentifier:
		return c.Action == ActionPseudonymise
	case RoleFreeText:
		return c.Allow
	}
	return true
}

// Column returns the declaration of the named input column.
func (s *IngestSpec) Column(name string) (ColumnSpec, bool) {
	for _, c := range s.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return ColumnSpec{}, false
}

// NeedsKey reports whether any column is pseudonymised. DICOM input always
// needs the key: its patient IDs, UIDs and date shifts are keyed.
func (s *IngestSpec) NeedsKey() bool {
	if s.Input.Format == FormatDICOM {
		return true
	}
	for _, c := range s.Columns {
		if c.Role == RoleIdentifier && c.Action == ActionPseudonymise {
			return true
		}
	}
	return false
}

// ResolveKeyFile returns the key file to use: the command-line flag when it
// is set, else the spec's key_file.
func (s *IngestSpec) ResolveKeyFile(flagPath string) string {
	if flagPath != "" {
		return flagPath
	}
	return s.KeyFile
}

// specError is an error at a place in the spec.
func specError(line int, path, format string, args ...any) error {
	return fmt.Errorf("ingest spec line %d: %s: %w: %s", line, path, ErrInvalidSpec, fmt.Sprintf(format, args...))
}
