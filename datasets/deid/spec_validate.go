package deid

// validate checks the spec as a whole and fills in implied values. lines
// gives the line of each top-level key.
func validate(s *IngestSpec, lines map[string]int) error {
	if !datasetNamePattern.MatchString(s.Name) {
		return specError(lines["name"], "name", "%q must be 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit", s.Name)
	}
	if s.K < MinK {
		return specError(lines["k"], "k", "%d is below the minimum %d", s.K, MinK)
	}
	if (s.Input.Format == FormatDICOM) != (s.DICOM != nil) {
		if s.DICOM == nil {
			return specError(lines["input"], "dicom", "dicom input needs a dicom section (shape, label)")
		}
		return specError(s.DICOM.Line, "dicom", "only dicom input takes a dicom section")
	}
	if s.Input.Format != FormatCSV {
		if len(s.Columns) > 0 {
			return specError(lines["columns"], "columns", "%s input has no columns to declare", s.Input.Format)
		}
		if s.Label.Column != "" && s.Input.Format == FormatDICOM {
			return specError(lines["label"], "label.column", "dicom input takes its labels from dicom.label (an attribute or a csv)")
		}
		if s.Label.Column != "" {
			return specError(lines["label"], "label.column", "%s input carries its labels beside the images", s.Input.Format)
		}
		return nil
	}
	return validateColumns(s, lines)
}

func validateColumns(s *IngestSpec, lines map[string]int) error {
	if len(s.Columns) == 0 {
		return specError(lines["columns"], "columns", "csv input needs every column declared")
	}
	if s.Label.Column == "" {
		return specError(lines["label"], "label.column", "required for csv input")
	}
	outputs := map[string]string{}
	labels, features := 0, 0
	for i := range s.Columns {
		c := &s.Columns[i]
		path := "columns." + c.Name
		if alwaysQuasiIdentifier(c.Role) {
			c.QuasiIdentifier = true
		}
		switch c.Role {
		case RoleIdentifier:
			if c.Action != ActionDrop && c.Action != ActionPseudonymise {
				return specError(c.Line, path, "identifier columns need action: drop or action: pseudonymise")
			}
		case RoleLabel:
			labels++
			if c.Name != s.Label.Column {
				return specError(c.Line, path, "declared as the label but label.column is %q", s.Label.Column)
			}
		case RoleFeature:
			features++
		case RoleDateOfBirth:
			if s.ReferenceDate.IsZero() {
				return specError(c.Line, path, "a date_of_birth column needs reference_date (YYYY-MM-DD) so age bands are reproducible")
			}
		}
		if !c.Kept() {
			continue
		}
		out := c.OutputName()
		if prev, dup := outputs[out]; dup {
			return specError(c.Line, path, "output column %q is also produced by column %q", out, prev)
		}
		outputs[out] = c.Name
	}
	if labels != 1 {
		return specError(lines["columns"], "columns", "label.column %q must be declared once with role label", s.Label.Column)
	}
	if features == 0 {
		return specError(lines["columns"], "columns", "no feature column")
	}
	return nil
}
