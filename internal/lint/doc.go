// Package lint holds repository-wide checks that go vet does not make; its
// tests run with the others (make test).
package lint
