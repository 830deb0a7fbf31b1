package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"edms/internal/access"
	"edms/internal/org"
)

func runUser(ctx context.Context, args []string) error {
	return runGroup(ctx, "user", args, []command{
		{"add", "create a user in an agency with roles", runUserAdd},
		{"passwd", "set a user's password (ends their sessions)", runUserPasswd},
		{"list", "list users with their agencies and roles", runUserList},
		{"disable", "stop a user from signing in (history is kept)", runUserDisable},
		{"token", "issue an API token for a machine client acting as the user", runUserToken},
	})
}

// runGroup dispatches a command with subcommands (edms user add ...).
func runGroup(ctx context.Context, group string, args []string, subs []command) error {
	usage := func() {
		fmt.Fprintf(os.Stderr, "Usage: edms %s <subcommand> [flags]   (edms %s <subcommand> -h for its flags)\n\nSubcommands:\n", group, group)
		for _, c := range subs {
			fmt.Fprintf(os.Stderr, "  %-8s %s\n", c.name, c.summary)
		}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage()
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	for _, c := range subs {
		if c.name == args[0] {
			return c.run(ctx, args[1:])
		}
	}
	fmt.Fprintf(os.Stderr, "edms %s: unknown subcommand %q\n\n", group, args[0])
	usage()
	return errUsage
}

func runUserAdd(ctx context.Context, args []string) error {
	fs := newFlagSet("user add", "-username NAME -name \"FULL NAME\" -agency ORGAN_ID -role ROLE[,ROLE] [flags]",
		"Create a user. The password is read from the terminal without echo, or from the first line of standard input.")
	db := addDBFlags(fs)
	username := fs.String("username", "", "sign-in name: 3–64 lower-case letters, digits, '.', '_', '-'")
	fullName := fs.String("name", "", "full name as printed on signatures, e.g. \"Nguyễn Văn Nghĩa\"")
	email := fs.String("email", "", "e-mail address")
	agencyID := fs.String("agency", "", "mã định danh of the agency, e.g. 000.00.09.H56")
	unit := fs.String("unit", "", "abbreviation of the unit inside the agency, e.g. VP")
	position := fs.String("position", "", "position (chức vụ), e.g. \"Chủ tịch\"")
	roles := fs.String("role", "", "roles in the agency, comma-separated: van_thu, chuyen_vien, lanh_dao_phong, lanh_dao, quan_tri")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *username == "" || *fullName == "" || *agencyID == "" || *roles == "" {
		fs.Usage()
		return errors.New("-username, -name, -agency and -role are required")
	}
	var place access.Placement
	place.Position = *position
	for _, name := range strings.Split(*roles, ",") {
		role, err := access.ParseRole(strings.TrimSpace(name))
		if err != nil {
			return err
		}
		place.Roles = append(place.Roles, role)
	}
	if err := org.ValidateUsername(*username); err != nil {
		return err
	}
	password, err := readPassword(fmt.Sprintf("Password for %s: ", *username))
	if err != nil {
		return err
	}
	if err := access.CheckPasswordStrength(*username, password); err != nil {
		return err
	}
	pool, closeDB, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	agency, err := org.AgencyByOrganID(ctx, pool, *agencyID)
	if err != nil {
		return fmt.Errorf("agency %s: %w (see edms org list)", *agencyID, err)
	}
	place.AgencyID = agency.ID
	if *unit != "" {
		u, err := org.UnitByAbbreviation(ctx, pool, agency.ID, *unit)
		if err != nil {
			return fmt.Errorf("unit %s in %s: %w", *unit, agency.Name, err)
		}
		place.UnitID = &u.ID
	}
	u := &org.User{Username: *username, FullName: *fullName, Email: *email}
	if err := access.CreateAccount(ctx, pool, u, password, []access.Placement{place}, cliActor()); err != nil {
		return err
	}
	fmt.Printf("created user %s (%s) in %s\n", u.Username, u.FullName, agency.Name)
	return nil
}

func runUserPasswd(ctx context.Context, args []string) error {
	fs := newFlagSet("user passwd", "USERNAME", "Set a user's password; their sessions end.")
	return runForUser(ctx, fs, addDBFlags(fs), args, func(pool *pgxpool.Pool, username string) error {
		password, err := readPassword(fmt.Sprintf("New password for %s: ", username))
		if err != nil {
			return err
		}
		if err := access.ChangePassword(ctx, pool, username, password, cliActor()); err != nil {
			return err
		}
		fmt.Printf("password of %s changed\n", username)
		return nil
	})
}

func runUserDisable(ctx context.Context, args []string) error {
	fs := newFlagSet("user disable", "USERNAME", "Stop a user from signing in; their sessions and API tokens stop working.")
	return runForUser(ctx, fs, addDBFlags(fs), args, func(pool *pgxpool.Pool, username string) error {
		if err := access.DisableAccount(ctx, pool, username, cliActor()); err != nil {
			return err
		}
		fmt.Printf("user %s disabled\n", username)
		return nil
	})
}

func runUserList(ctx context.Context, args []string) error {
	fs := newFlagSet("user list", "", "List users with their agencies, units and roles.")
	db := addDBFlags(fs)
	return runWithDB(ctx, fs, db, args, func(pool *pgxpool.Pool) error {
		users, err := org.Users(ctx, pool)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "USERNAME\tNAME\tSTATE\tAGENCY\tUNIT\tROLES")
		for _, u := range users {
			state := "active"
			if !u.Active() {
				state = "disabled"
			}
			memberships, err := org.Memberships(ctx, pool, u.ID)
			if err != nil {
				return err
			}
			for _, m := range memberships {
				roles, err := access.RolesIn(ctx, pool, u.ID, m.AgencyID)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, u.FullName, state, m.OrganID, m.UnitName, joinRoles(roles))
			}
			if len(memberships) == 0 {
				fmt.Fprintf(w, "%s\t%s\t%s\t-\t-\t-\n", u.Username, u.FullName, state)
			}
		}
		return w.Flush()
	})
}

func runUserToken(ctx context.Context, args []string) error {
	fs := newFlagSet("user token", "-name PURPOSE USERNAME", "Issue an API token (shown once) for a machine client acting as the user.")
	db := addDBFlags(fs)
	name := fs.String("name", "", "what uses the token, e.g. \"provincial gateway\"")
	return runForUser(ctx, fs, db, args, func(pool *pgxpool.Pool, username string) error {
		u, err := org.UserByUsername(ctx, pool, username)
		if err != nil {
			return fmt.Errorf("%s: %w", username, err)
		}
		token, err := access.CreateAPIToken(ctx, pool, u.ID, *name)
		if err != nil {
			return err
		}
		fmt.Println(token)
		return nil
	})
}

// runForUser is runWithDB for the commands that act on one USERNAME argument; the
// argument is checked before the database is opened.
func runForUser(ctx context.Context, fs *flag.FlagSet, db *dbConfig, args []string, fn func(*pgxpool.Pool, string) error) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	username, err := oneArg(fs, "USERNAME")
	if err != nil {
		return err
	}
	return db.with(ctx, func(pool *pgxpool.Pool) error { return fn(pool, username) })
}

func joinRoles(roles []access.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ",")
}

func oneArg(fs interface{ Args() []string }, name string) (string, error) {
	if len(fs.Args()) != 1 {
		return "", fmt.Errorf("give exactly one %s", name)
	}
	return fs.Args()[0], nil
}

func cliActor() access.Actor {
	name := "cli"
	if u := os.Getenv("USER"); u != "" {
		name = "cli:" + u
	}
	return access.Actor{Name: name}
}

// readPassword reads a password from the terminal without echo, or the first line of
// standard input when it is not a terminal.
func readPassword(prompt string) (string, error) {
	fd := int(os.Stdin.Fd())
	if term.IsTerminal(fd) {
		fmt.Fprint(os.Stderr, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		return string(b), err
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
