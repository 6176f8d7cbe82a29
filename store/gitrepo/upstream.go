package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
)

// The upstream code talks to remotes through go-git's transport layer
// directly instead of through git.Remote, for two reasons:
//   - go-git's Remote.Push lists every object reachable from the remote's
//     refs to decide what to send, so each push would read the whole
//     history. push here sends only what objectsToSend finds.
//   - file:// remotes are served in process by go-git's server package.
//     go-git's default file transport runs git-upload-pack and
//     git-receive-pack, and replacing it would change a process-wide table.

// fileTransport serves file:// and plain-path remotes in process.
var fileTransport = server.NewClient(server.DefaultLoader)

// errPushRejected reports that the remote refused to move a branch, because
// the branch moved ahead there or a remote hook refused the update.
var errPushRejected = errors.New("push rejected")

// maxHavesPerBranch bounds how many commits of each local branch a fetch
// offers to the remote as common history.
const maxHavesPerBranch = 32

// remote is one upstream exchange context: the transport for the remote URI
// and the authentication built from the credentials.
type remote struct {
	creds     *credentials
	timeout   time.Duration // bound of each exchange
	endpoint  *transport.Endpoint
	transport transport.Transport
	auth      transport.AuthMethod
}

// newRemote checks the remote URI of creds. Only HTTP(S), with basic
// authentication from user and token, and local repositories (file:// or
// a plain path), without authentication, are supported.
func newRemote(creds *credentials, timeout time.Duration) (*remote, error) {
	if creds.RemoteURI == "" {
		return nil, errors.New("remote URI is empty")
	}
	ep, err := transport.NewEndpoint(creds.RemoteURI)
	if err != nil {
		// The parser's message quotes parts of the URI, which may contain a
		// secret in a form that masking cannot recognise.
		return nil, errors.New("invalid remote URI")
	}
	rm := &remote{creds: creds, timeout: timeout, endpoint: ep}
	switch ep.Protocol {
	case "http", "https":
		rm.transport = githttp.DefaultClient
		if creds.User != "" || creds.Token != "" {
			rm.auth = &githttp.BasicAuth{Username: creds.User, Password: creds.Token}
		}
	case "file":
		rm.transport = fileTransport
	default:
		return nil, fmt.Errorf("unsupported remote URI scheme %q: use http, https or file", ep.Protocol)
	}
	return rm, nil
}

// branchHeads returns the branches of an advertisement, leaving out names
// that are not valid branch names.
func branchHeads(ar *packp.AdvRefs) map[string]plumbing.Hash {
	heads := make(map[string]plumbing.Hash)
	for name, h := range ar.References {
		ref := plumbing.ReferenceName(name)
		if ref.IsBranch() && validateBranchName(ref.Short()) == nil {
			heads[ref.Short()] = h
		}
	}
	return heads
}

// defaultBranch returns the branch that the remote's HEAD names, or "" when
// the advertisement does not name one.
func defaultBranch(ar *packp.AdvRefs) string {
	refs, err := ar.AllReferences()
	if err != nil {
		return ""
	}
	head, err := refs.Reference(plumbing.HEAD)
	if err != nil || head.Type() != plumbing.SymbolicReference || !head.Target().IsBranch() {
		return ""
	}
	return head.Target().Short()
}

// list returns the advertisement of the remote's upload-pack service, or
// nil for an empty remote.
func (rm *remote) list(ctx context.Context) (*packp.AdvRefs, error) {
	ctx, cancel := context.WithTimeout(ctx, rm.timeout)
	defer cancel()
	sess, err := rm.transport.NewUploadPackSession(rm.endpoint, rm.auth)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return nil, nil
	}
	return ar, err
}

// fetch downloads the branches of the remote that pick selects (all when
// pick is nil) into r and returns the remote's branch heads. It moves no
// local branch.
func (rm *remote) fetch(ctx context.Context, r *repo, localHeads map[string]plumbing.Hash, pick func(branch string) bool) (map[string]plumbing.Hash, error) {
	ctx, cancel := context.WithTimeout(ctx, rm.timeout)
	defer cancel()
	// The writer storage reloads its pack list lazily; go-git's fetch and
	// push code does not retry as readRaw does.
	r.storage.Reindex()
	sess, err := rm.transport.NewUploadPackSession(rm.endpoint, rm.auth)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return map[string]plumbing.Hash{}, nil
	}
	if err != nil {
		return nil, err
	}

	heads := branchHeads(ar)
	var wants []plumbing.Hash
	for branch, h := range heads {
		if pick != nil && !pick(branch) {
			continue
		}
		if r.storage.HasEncodedObject(h) != nil && !contains(wants, h) {
			wants = append(wants, h)
		}
	}
	if len(wants) == 0 {
		return heads, nil
	}

	req := packp.NewUploadPackRequestFromCapabilities(ar.Capabilities)
	// A thin pack may contain deltas against objects outside the pack, which
	// go-git's pack writer cannot resolve.
	req.Capabilities.Delete(capability.ThinPack)
	if ar.Capabilities.Supports(capability.NoProgress) {
		_ = req.Capabilities.Set(capability.NoProgress)
	}
	req.Wants = wants
	req.Haves, err = r.recentCommits(localHeads)
	if err != nil {
		return nil, err
	}

	resp, err := sess.UploadPack(ctx, req)
	if errors.Is(err, transport.ErrEmptyUploadPackRequest) {
		return heads, nil
	}
	if err != nil {
		return nil, err
	}
	defer resp.Close()

	var pack io.Reader = resp
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		pack = sideband.NewDemuxer(sideband.Sideband64k, resp)
	case req.Capabilities.Supports(capability.Sideband):
		pack = sideband.NewDemuxer(sideband.Sideband, resp)
	}
	if err := packfile.UpdateObjectStorage(r.storage, pack); err != nil {
		return nil, fmt.Errorf("store fetched objects: %w", err)
	}
	return heads, nil
}

// recentCommits returns the heads and up to maxHavesPerBranch first-parent
// ancestors of each, as the common history a fetch offers.
func (r *repo) recentCommits(heads map[string]plumbing.Hash) ([]plumbing.Hash, error) {
	seen := make(map[plumbing.Hash]bool)
	var haves []plumbing.Hash
	for _, h := range heads {
		for i := 0; i < maxHavesPerBranch && !h.IsZero() && !seen[h]; i++ {
			seen[h] = true
			haves = append(haves, h)
			c, err := r.commit(locked, h)
			if err != nil {
				return nil, err
			}
			if len(c.parents) == 0 {
				break
			}
			h = c.parents[0]
		}
	}
	return haves, nil
}

// refUpdate moves a remote branch to head, or deletes it when head is zero.
type refUpdate struct {
	branch string
	head   plumbing.Hash
}

// push applies updates to the remote in one request. An update that is not
// a fast-forward of the remote branch fails with errPushRejected before
// anything is sent; so does a command the remote refuses.
func (rm *remote) push(ctx context.Context, r *repo, updates []refUpdate) error {
	ctx, cancel := context.WithTimeout(ctx, rm.timeout)
	defer cancel()
	r.storage.Reindex()
	sess, err := rm.transport.NewReceivePackSession(rm.endpoint, rm.auth)
	if err != nil {
		return err
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return err
	}
	remoteHeads := branchHeads(ar)

	req := packp.NewReferenceUpdateRequestFromCapabilities(ar.Capabilities)
	var tips []plumbing.Hash
	sort.Slice(updates, func(i, j int) bool { return updates[i].branch < updates[j].branch })
	for _, u := range updates {
		old := remoteHeads[u.branch]
		if old == u.head {
			continue
		}
		if !old.IsZero() && !u.head.IsZero() {
			ff, err := r.isAncestor(old, u.head)
			if err != nil {
				return err
			}
			if !ff {
				return fmt.Errorf("%w: branch %q is not a fast-forward of the remote branch", errPushRejected, u.branch)
			}
		}
		req.Commands = append(req.Commands, &packp.Command{
			Name: plumbing.NewBranchReferenceName(u.branch), Old: old, New: u.head,
		})
		if !u.head.IsZero() {
			tips = append(tips, u.head)
		}
	}
	if len(req.Commands) == 0 {
		return nil
	}
	if len(tips) < len(req.Commands) && !ar.Capabilities.Supports(capability.DeleteRefs) {
		return errors.New("the remote does not support deleting branches")
	}

	done := make(chan error, 1)
	if len(tips) > 0 {
		haves := make([]plumbing.Hash, 0, len(ar.References))
		for _, h := range ar.References {
			haves = append(haves, h)
		}
		objects, err := r.objectsToSend(tips, haves)
		if err != nil {
			return err
		}
		rd, wr := io.Pipe()
		req.Packfile = rd
		useRefDeltas := !ar.Capabilities.Supports(capability.OFSDelta)
		go func() {
			enc := packfile.NewEncoder(wr, r.storage, useRefDeltas)
			_, err := enc.Encode(objects, packWindow)
			_ = wr.CloseWithError(err)
			done <- err
		}()
	} else {
		close(done)
	}

	status, err := sess.ReceivePack(ctx, req)
	if err != nil {
		if req.Packfile != nil {
			_ = req.Packfile.Close()
		}
		<-done
		return err
	}
	if err := <-done; err != nil {
		return err
	}
	if status != nil {
		if err := status.Error(); err != nil {
			if strings.HasPrefix(err.Error(), "unpack") {
				return err
			}
			return fmt.Errorf("%w: %v", errPushRejected, err)
		}
	}
	return nil
}

// packWindow is the number of objects go-git's encoder compares when it
// looks for deltas; 10 is go-git's and git's default.
const packWindow = 10

func contains(hashes []plumbing.Hash, h plumbing.Hash) bool {
	for _, x := range hashes {
		if x == h {
			return true
		}
	}
	return false
}
