package state

import (
	"io"
	"os"
	"path/filepath"
)

// fileSystem is the part of the operating system the store writes through. The store uses
// osFS; tests put a faulty one in its place to stop a write at every step and byte.
type fileSystem interface {
	CreateTemp(dir, pattern string) (file, error)
	OpenAppend(name string) (file, error)
	Link(oldname, newname string) error
	Rename(oldname, newname string) error
	Remove(name string) error
	SyncDir(dir string) error
}

// file is a file being written.
type file interface {
	io.Writer
	Sync() error
	Close() error
	Name() string
}

// osFS is the real file system.
type osFS struct{}

func (osFS) CreateTemp(dir, pattern string) (file, error) { return os.CreateTemp(dir, pattern) }

func (osFS) OpenAppend(name string) (file, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
}

func (osFS) Link(oldname, newname string) error   { return os.Link(oldname, newname) }
func (osFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }
func (osFS) Remove(name string) error             { return os.Remove(name) }

// SyncDir makes the directory's entries (a rename, a new or removed file) durable.
func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// dirOf returns the directory of path, "." for a bare name.
func dirOf(path string) string {
	return filepath.Dir(path)
}
