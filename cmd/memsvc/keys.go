package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"text/tabwriter"
	"time"

	"github.com/memsvc/memsvc/auth"
	"github.com/memsvc/memsvc/state"
	"github.com/memsvc/memsvc/stores"
)

const keysUsage = `usage: memsvc keys <command> [flags]

commands:
  create --tenant NAME [--admin] [--name NOTE] [--max-source user|agent]
                                                create a key and print it (only now) on stdout
  list [--tenant NAME]                           list keys (never their secrets)
  revoke KEY_ID                                  revoke a key at once

Each takes the --store and --data flags of serve (or MEMSVC_STORE, MEMSVC_DATA).`

// runKeys manages API keys in the store a serve with the same --store and --data uses.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, keysUsage)
		if len(args) == 0 {
			return errors.New("keys: no command")
		}
		return nil
	}
	cmd := args[0]
	fs := flag.NewFlagSet("memsvc keys "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	store := fs.String("store", "embedded", "where all state lives: embedded, or a postgres:// URL")
	data := fs.String("data", "./memsvc-data", "data directory of the embedded store")
	tenant := fs.String("tenant", "", "the key's tenant")
	admin := fs.Bool("admin", false, "an admin key: it also manages keys and tenant policies (tenant default: default)")
	name := fs.String("name", "", "a note for people")
	maxSource := fs.String("max-source", "user", "the highest passage source the key may claim: user, or agent (its writes cannot be stored, nor act, as the user's)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) > 0 { // flags may follow the key ID of revoke
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
		rest = append([]string{rest[0]}, fs.Args()...)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for flagName, env := range map[string]string{"store": "MEMSVC_STORE", "data": "MEMSVC_DATA"} {
		if v, ok := os.LookupEnv(env); ok && !set[flagName] {
			_ = fs.Set(flagName, v)
		}
	}
	switch cmd {
	case "create":
		if len(rest) > 0 {
			return fmt.Errorf("keys create: unexpected arguments %v", rest)
		}
		if *tenant == "" && *admin {
			*tenant = state.DefaultTenant
		}
		if *tenant == "" {
			return errors.New("keys create: --tenant NAME is required: the tenant whose agents the key may use")
		}
	case "list":
		if len(rest) > 0 {
			return fmt.Errorf("keys list: unexpected arguments %v", rest)
		}
	case "revoke":
		if len(rest) != 1 {
			return errors.New("keys revoke: name one KEY_ID (see memsvc keys list)")
		}
	default:
		fmt.Fprintln(stderr, keysUsage)
		return fmt.Errorf("keys: unknown command %q", cmd)
	}

	svc, closeStores, err := openKeys(ctx, *store, *data)
	if err != nil {
		return err
	}
	defer closeStores()
	switch cmd {
	case "create":
		k, token, err := svc.Create(ctx, *tenant, *admin, *name, auth.MaxSource(*maxSource))
		if err != nil {
			return fmt.Errorf("keys create: %w", err)
		}
		fmt.Fprintln(stdout, token)
		kind := "key"
		if k.Admin {
			kind = "admin key"
		}
		fmt.Fprintf(stderr, "created %s %s for tenant %s; the key above is shown only now: send it as Authorization: Bearer <key>\n", kind, k.ID, k.Tenant)
		return nil
	case "list":
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTENANT\tADMIN\tCREATED\tREVOKED\tNAME")
		cursor := ""
		for {
			keys, next, err := svc.List(ctx, state.ListOptions{Limit: 1000, Cursor: cursor, Tenant: *tenant})
			if err != nil {
				return fmt.Errorf("keys list: %w", err)
			}
			for _, k := range keys {
				revoked := "-"
				if k.RevokedAt != nil {
					revoked = k.RevokedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\t%s\n", k.ID, k.Tenant, k.Admin, k.CreatedAt.Format(time.RFC3339), revoked, k.Name)
			}
			if cursor = next; cursor == "" {
				return tw.Flush()
			}
		}
	default: // revoke
		if err := svc.Revoke(ctx, rest[0]); errors.Is(err, state.ErrNotFound) {
			return fmt.Errorf("keys revoke: key %s does not exist (see memsvc keys list)", rest[0])
		} else if err != nil {
			return fmt.Errorf("keys revoke: %w", err)
		}
		fmt.Fprintf(stdout, "revoked %s\n", rest[0])
		return nil
	}
}

// openKeys opens (and migrates) the state store and returns its key service.
func openKeys(ctx context.Context, store, data string) (*auth.Service, func(), error) {
	if store != "embedded" && !stores.IsPostgres(store) {
		return nil, nil, fmt.Errorf("--store %q: want embedded or a postgres:// URL", store)
	}
	// Keys embed nothing: an existing store opens with its own dimension, and a new one is made
	// for the default embedder.
	st, err := stores.Open(ctx, stores.Config{Store: store, Data: data, Dim: builtinDim(), StoredDim: true, Migrate: true,
		Logger: newLogger(io.Discard)})
	if err != nil {
		return nil, nil, err
	}
	svc, err := keyService(st.State)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, func() { st.Close() }, nil
}

// keyService is the API key service over a state store that keeps keys.
func keyService(st state.Store) (*auth.Service, error) {
	ks, ok := st.(state.KeyStore)
	if !ok {
		return nil, fmt.Errorf("the state store %T keeps no API keys", st)
	}
	return auth.New(ks, nil), nil
}

// refuseExposedWithoutKeys refuses to serve on an address other hosts can reach while no API
// key exists: every memory would be open to them.
func refuseExposedWithoutKeys(ctx context.Context, addr string, keys *auth.Service) error {
	if loopbackAddr(ctx, addr) {
		return nil
	}
	has, err := keys.Configured(ctx)
	if err != nil {
		return err
	}
	if has {
		return nil
	}
	return fmt.Errorf("refusing to listen on %s: it is not a loopback address and no API key exists, so anyone who can reach it "+
		"could read and change every memory. Create a key first with `memsvc keys create --tenant NAME` (with the same "+
		"--store and --data as serve) and send it as Authorization: Bearer <key>, or listen on loopback only with --addr 127.0.0.1:8080", addr)
}

// loopbackAddr reports whether a listen address reaches this host only: a loopback IP, or a
// name that resolves to loopback IPs only. An empty host (every interface) is not.
func loopbackAddr(ctx context.Context, addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().IsLoopback()
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !ip.Unmap().IsLoopback() {
			return false
		}
	}
	return true
}
