// Package store keeps batch objects: encrypted, named by their SHA-256,
// written once. Folder is the default, a folder in the gateway's home
// that the gateway serves read-only over HTTP (the objects are encrypted,
// and their names are their hashes, so serving them shows nothing and a
// reader checks what it got); S3-compatible stores implement the same
// methods.
package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Errors of this package.
var (
	// ErrNotFound: no object of that name.
	ErrNotFound = errors.New("store: no such object")
	// ErrCorrupt: an object's bytes do not hash to its name (truncated or
	// edited in the store).
	ErrCorrupt = errors.New("store: object does not match its hash")
	// ErrName: not an object name (64 lower-case hex digits).
	ErrName = errors.New("store: not an object name")
)

// Name is an object's name: the hex SHA-256 of its bytes.
func Name(object []byte) string {
	h := sha256.Sum256(object)
	return hex.EncodeToString(h[:])
}

// checkName refuses anything but 64 lower-case hex digits, so that a name
// is never a path.
func checkName(name string) error {
	if len(name) != 64 || strings.Trim(name, "0123456789abcdef") != "" {
		return fmt.Errorf("%w: %q", ErrName, name)
	}
	return nil
}

// Folder is a store in a folder of the local file system.
type Folder struct {
	Dir string
}

// Put writes object under its name and returns the name. Writing the same
// object again changes nothing; the write is atomic and synced.
func (f Folder) Put(ctx context.Context, object []byte) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	name := Name(object)
	path := filepath.Join(f.Dir, name)
	if _, err := os.Stat(path); err == nil {
		if _, err := f.Get(ctx, name); err == nil {
			return name, nil
		}
		// A corrupt copy: replace it.
	}
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	tmp, err := os.CreateTemp(f.Dir, ".put-*")
	if err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(object); err != nil {
		tmp.Close()
		return "", fmt.Errorf("store: write %s: %w", name, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("store: sync %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o444); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	return name, syncDir(f.Dir)
}

// Get reads the object name and checks it against its name.
func (f Folder) Get(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(f.Dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read %s: %w", name, err)
	}
	if Name(b) != name {
		return nil, fmt.Errorf("%w: %s", ErrCorrupt, name)
	}
	return b, nil
}

// Handler serves the folder's objects read-only: GET /<name>. Objects are
// encrypted and named by their hash, so serving them shows nothing to
// anyone without a batch key, and readers check what they get.
func (f Folder) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "read only", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/")
		b, err := f.Get(r.Context(), name)
		switch {
		case errors.Is(err, ErrName), errors.Is(err, ErrNotFound):
			http.NotFound(w, r)
			return
		case err != nil:
			http.Error(w, "object unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	})
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: sync %s: %w", dir, err)
	}
	return nil
}
