package cvmsim

import (
	"fmt"
	"slices"
)

// builtinImages are the images a simulator knows when Config.Images is nil: the example of
// the RunInstances document (img-lkxqa4kj) and the ids of the repository's examples, tests
// and demo.
var builtinImages = []string{
	"img-lkxqa4kj", "img-8toqc6s3", "img-31tjrtph", "img-3wnd9xpl", "img-0a1b2c3d", "img-abcdefgh",
	"img-oldimage", "img-old00000", "img-oldoldol", "img-newimage", "img-newnewne",
}

// builtinWindowsImages are the Windows images of the built-in list. They are Windows images
// whenever the simulator knows them, listed in Config.WindowsImages or not.
var builtinWindowsImages = []string{"img-9id7emv7", "img-win00001", "img-win00002"}

// DefaultImages returns the ids of the built-in images, Linux and Windows, the images of a
// simulator whose Config.Images is nil. A test that needs another image can pass
// append(DefaultImages(), id) as Config.Images.
func DefaultImages() []string {
	return slices.Concat(builtinImages, builtinWindowsImages)
}

// checkImageIDs verifies that every id of a configured image list is well formed.
func checkImageIDs(what string, ids []string) error {
	for _, id := range ids {
		if !imageIDPattern.MatchString(id) {
			return fmt.Errorf("%s %q: want img- and 8 lowercase letters or digits", what, id)
		}
	}
	return nil
}

// knownImage reports whether the simulator has the image: it is in Config.Images (the
// built-in list when nil) or is one of the Windows images of the Config or the data file.
func (s *Server) knownImage(id string) bool { return s.images[id] || s.windows[id] }

// windowsImage reports whether the image runs Windows.
func (s *Server) windowsImage(id string) bool {
	return s.windows[id] || slices.Contains(builtinWindowsImages, id)
}

// imageProblem returns the refusal of an imageId that is malformed or unknown, or nil.
func (s *Server) imageProblem(id string) *apiError {
	if !imageIDPattern.MatchString(id) {
		return paramErr(NameImageID, "imageId %q: want img- and 8 lowercase letters or digits", id)
	}
	if !s.knownImage(id) {
		return paramErr(NameImageNotFound, "imageId %s does not exist", id)
	}
	return nil
}
