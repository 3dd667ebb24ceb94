package cvm

import (
	"errors"

	"fleet/internal/secret"
)

// MaskError returns err with every one of secrets masked in its text (secret.Mask), or err
// itself when its text holds none. When err is or wraps a *Error, errors.As finds a copy of
// it whose Name, Message and Err are masked and whose Code, HTTPStatus and Class are kept, so
// that a caller still acts on the class; errors.Is matches what err matched.
func MaskError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	clean := secret.Mask(text, secrets...)
	if clean == text {
		return err
	}
	var e *Error
	if !errors.As(err, &e) {
		return secret.MaskError(err, secrets...)
	}
	c := *e
	c.Name = secret.Mask(e.Name, secrets...)
	c.Message = secret.Mask(e.Message, secrets...)
	c.Err = secret.MaskError(e.Err, secrets...)
	if t := c.Error(); secret.Mask(t, secrets...) != t {
		// The secret spans two fields: only the masked text is kept, and the class is lost,
		// which makes the outcome unknown rather than wrongly certain.
		return secret.MaskError(err, secrets...)
	}
	if same, ok := err.(*Error); ok && same == e {
		return &c
	}
	return &maskedChain{text: clean, err: err, e: &c}
}

// maskedChain is an error that wraps a *Error, its text masked.
type maskedChain struct {
	text string
	err  error  // the error as it was, for errors.Is only
	e    *Error // the masked copy, for errors.As
}

func (m *maskedChain) Error() string { return m.text }

func (m *maskedChain) Unwrap() error { return m.e }

// Is reports whether the original error matches target.
func (m *maskedChain) Is(target error) bool { return errors.Is(m.err, target) }
