package ingest

import (
	"errors"
	"fmt"

	"github.com/dxtrain/dxtrain/datasets"
	"github.com/dxtrain/dxtrain/datasets/gate"
)

var (
	// ErrRefused means the anonymisation gate refused the dataset; the
	// error is a *RefusedError carrying the report.
	ErrRefused = errors.New("refused by the anonymisation gate")
	// ErrConfig means the ingest configuration is incomplete or out of range.
	ErrConfig = errors.New("invalid ingest configuration")
	// ErrInput means the input cannot be converted (a feature that is not a
	// number, a label that is not a class, a missing file).
	ErrInput = errors.New("unusable input")
	// ErrRegister means the registrar refused or failed to commit the dataset.
	ErrRegister = errors.New("registration failed")
	// ErrExists means a different dataset is already registered under the name.
	ErrExists = errors.New("dataset name already registered")
	// ErrNotRegistered means no dataset of that name is registered.
	ErrNotRegistered = errors.New("dataset not registered")
)

// RefusedError is the gate's refusal with its report (which holds rules,
// columns, counts and row numbers, never values).
type RefusedError struct {
	Report *gate.Report
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("ingest: %v: %d findings; nothing was uploaded", ErrRefused, len(e.Report.Findings))
}

func (e *RefusedError) Unwrap() error { return ErrRefused }

// InputError says where in the input a value could not be used: the column and the
// 1-based line (CSV) or record (images). It is datasets' CSV error, so the ingest
// pipeline and the loaders report positions alike; it never holds the value.
type InputError = datasets.CSVError

// inputError is an InputError whose cause also wraps ErrInput.
func inputError(source string, line int, column string, err error) error {
	return &InputError{Source: source, Line: line, Column: column, Err: fmt.Errorf("%w: %w", ErrInput, err)}
}

// asInputError marks a datasets CSV error as an input error, keeping its position.
func asInputError(err error) error {
	var ce *datasets.CSVError
	if errors.As(err, &ce) {
		return inputError(ce.Source, ce.Line, ce.Column, ce.Err)
	}
	return fmt.Errorf("%w: %w", ErrInput, err)
}
