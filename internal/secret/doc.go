// Package secret owns fleet's rule for secrets: which request parameters hold one, the one
// form in which a secret may be recorded (its hash), and the masking of secret values in any
// text fleet stores or prints.
//
// Invariants:
//
//   - The password is the only secret request parameter (Params, IsParam). Plans, state and
//     their renderings carry it only as Hash of its value.
//   - Hash is deterministic: PBKDF2-HMAC-SHA256 with a fixed salt and 100,000 iterations,
//     written "sha256:" and 64 lower-case hexadecimal digits. Client tokens and recorded
//     parameters depend on it, so it never changes.
//   - IsHash accepts exactly the form Hash writes: upper-case hexadecimal is refused, so that
//     one secret has one recorded form and a hash compares equal only to itself.
//   - Mask leaves no occurrence of a secret in its result, in any encoding an echo of it can
//     take: as is, percent-encoded (either case of hexadecimal digits, "+" or "%20" for a
//     space), JSON-escaped, HTML-escaped, and any two of these nested. The secret gives way
//     to the fixed text Masked. Text that holds no secret is returned unchanged.
//   - MaskError never lets the text of a secret through: the error it returns has a masked
//     text and hides the original from errors.As, while errors.Is still sees through it.
package secret
