package store

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFolder(t *testing.T) {
	ctx := context.Background()
	f := Folder{Dir: filepath.Join(t.TempDir(), "objects")}
	obj := []byte("an encrypted batch")
	name, err := f.Put(ctx, obj)
	require.NoError(t, err)
	require.Equal(t, Name(obj), name)
	again, err := f.Put(ctx, obj)
	require.NoError(t, err)
	require.Equal(t, name, again, "written once")
	got, err := f.Get(ctx, name)
	require.NoError(t, err)
	require.Equal(t, obj, got)

	// Edited or truncated in the store: refused by its hash.
	path := filepath.Join(f.Dir, name)
	require.NoError(t, os.Chmod(path, 0o644))
	require.NoError(t, os.WriteFile(path, obj[:5], 0o644))
	_, err = f.Get(ctx, name)
	require.ErrorIs(t, err, ErrCorrupt)
	// Put repairs it.
	_, err = f.Put(ctx, obj)
	require.NoError(t, err)
	_, err = f.Get(ctx, name)
	require.NoError(t, err)

	for _, bad := range []string{"", "../etc/passwd", name[:63], name + "0", "ABCDEF" + name[6:]} {
		_, err := f.Get(ctx, bad)
		require.ErrorIs(t, err, ErrName, bad)
	}
	_, err = f.Get(ctx, Name([]byte("never stored")))
	require.ErrorIs(t, err, ErrNotFound)
}

func TestHandler(t *testing.T) {
	ctx := context.Background()
	f := Folder{Dir: t.TempDir()}
	obj := []byte("an encrypted batch")
	name, err := f.Put(ctx, obj)
	require.NoError(t, err)
	srv := httptest.NewServer(f.Handler())
	defer srv.Close()
	get := func(path string) (int, []byte) {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, body := get("/" + name)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, obj, body)
	status, _ = get("/../" + name)
	require.Equal(t, http.StatusNotFound, status, "a name is never a path")
	status, _ = get("/" + Name([]byte("missing")))
	require.Equal(t, http.StatusNotFound, status)
	resp, err := http.Post(srv.URL+"/"+name, "application/octet-stream", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}
