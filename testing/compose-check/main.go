// compose-check loads each Compose file given on the command line the way `docker compose config`
// does (compose-go: the Compose Specification's JSON schema, interpolation, normalisation and the
// consistency checks), then prints one JSON line per file with what the test asserts on: every
// service's image, build and bind-mounted host paths, and the host paths that do not exist.
// A file that fails to load prints {"file", "error"} and the command exits 1.
package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

type service struct {
	Name        string            `json:"name"`
	Image       string            `json:"image,omitempty"`
	Build       *build            `json:"build,omitempty"`
	Command     []string          `json:"command,omitempty"`
	Environment map[string]string `json:"environment"`
	Binds       []bind            `json:"binds"`
	DependsOn   []string          `json:"dependsOn"`
	Replicas    int               `json:"replicas"`
	Hostname    string            `json:"hostname,omitempty"`
	Ports       []port            `json:"ports"`
}

type port struct {
	HostIP    string `json:"hostIp"`
	Published string `json:"published"`
	Target    uint32 `json:"target"`
}

type build struct {
	Context    string `json:"context"`
	Dockerfile string `json:"dockerfile"`
}

type bind struct {
	Source string `json:"source"`
	Target string `json:"target"`
}

type report struct {
	File     string    `json:"file"`
	Name     string    `json:"name,omitempty"`
	Services []service `json:"services,omitempty"`
	Volumes  []string  `json:"volumes,omitempty"`
	Missing  []string  `json:"missing,omitempty"`
	// Mounted XML files (ClickHouse and Keeper configs) that are not well-formed.
	BadXML []string `json:"badXml,omitempty"`
	Error  string   `json:"error,omitempty"`
}

func load(file string) report {
	abs, err := filepath.Abs(file)
	if err != nil {
		return report{File: file, Error: err.Error()}
	}
	// The environment of this process is the only one used (no .env file), so the caller
	// decides which variables are set.
	opts, err := cli.NewProjectOptions([]string{abs},
		cli.WithWorkingDirectory(filepath.Dir(abs)),
		cli.WithOsEnv,
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
	)
	if err != nil {
		return report{File: file, Error: err.Error()}
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		return report{File: file, Error: err.Error()}
	}
	r := report{File: file, Name: project.Name}
	for name := range project.Volumes {
		r.Volumes = append(r.Volumes, name)
	}
	sort.Strings(r.Volumes)
	names := project.ServiceNames()
	sort.Strings(names)
	for _, name := range names {
		s := project.Services[name]
		out := service{Name: name, Image: s.Image, Command: s.Command, Environment: map[string]string{}, Hostname: s.Hostname, Replicas: 1}
		for k, v := range s.Environment {
			if v != nil {
				out.Environment[k] = *v
			}
		}
		out.Ports = []port{}
		for _, p := range s.Ports {
			out.Ports = append(out.Ports, port{HostIP: p.HostIP, Published: p.Published, Target: p.Target})
		}
		if s.Deploy != nil && s.Deploy.Replicas != nil {
			out.Replicas = *s.Deploy.Replicas
		}
		if s.Build != nil {
			out.Build = &build{Context: s.Build.Context, Dockerfile: filepath.Join(s.Build.Context, s.Build.Dockerfile)}
			for _, p := range []string{out.Build.Context, out.Build.Dockerfile} {
				if _, err := os.Stat(p); err != nil {
					r.Missing = append(r.Missing, p)
				}
			}
		}
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			out.Binds = append(out.Binds, bind{Source: v.Source, Target: v.Target})
			if _, err := os.Stat(v.Source); err != nil {
				r.Missing = append(r.Missing, v.Source)
			} else if filepath.Ext(v.Source) == ".xml" {
				if err := wellFormed(v.Source); err != nil {
					r.BadXML = append(r.BadXML, fmt.Sprintf("%s: %v", v.Source, err))
				}
			}
		}
		for dep := range s.DependsOn {
			out.DependsOn = append(out.DependsOn, dep)
		}
		sort.Strings(out.DependsOn)
		if out.Binds == nil {
			out.Binds = []bind{}
		}
		r.Services = append(r.Services, out)
	}
	return r
}

func wellFormed(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check FILE...")
		os.Exit(2)
	}
	failed := false
	enc := json.NewEncoder(os.Stdout)
	for _, f := range os.Args[1:] {
		r := load(f)
		failed = failed || r.Error != ""
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	if failed {
		os.Exit(1)
	}
}
