package demo

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ThalesGroup/crypto11"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/signing/pki"
	"edms/internal/signing/remote"
	"edms/internal/signing/remote/cscfake"
)

// Personal signatures in the demo (issue 14): the district chairman signs through a
// fake remote-signing provider (CSC API v2) that asks his PIN and an OTP, and the vice
// chairman signs with a SoftHSM2 token through `edms agent`. Both certificates are
// issued by the demo root, so the demo's verifier trusts them.
const (
	ProviderID   = "demo-csc"
	ProviderName = "Ký số từ xa (giả lập)"
	RemoteSigner = "chutich.huyen"    // his account at the fake provider is his username
	AgentSigner  = "phochutich.huyen" // his key is on the SoftHSM2 token
	SigningPIN   = "123456"           // the PIN of both, at the provider and on the token
	TokenLabel   = "edms-lanh-dao"
	// SoftHSMModule is where Debian and Ubuntu install the SoftHSM2 PKCS#11 module.
	SoftHSMModule = "/usr/lib/softhsm/libsofthsm2.so"
)

// PersonalSigning is what the demo runs for personal signatures until Close.
type PersonalSigning struct {
	Provider      *cscfake.Server
	ProvidersFile string // the providers' JSON, for edms serve -signing-providers
	Token         *Token // the agent's token; nil when SoftHSM2 is not installed
	closers       []func()
}

// Token is the SoftHSM2 token holding the vice chairman's key, for edms agent.
type Token struct {
	Conf   string // SOFTHSM2_CONF
	Module string
	Label  string
	PIN    string
}

// StartPersonalSigning starts the fake provider with the chairman's account and, when
// SoftHSM2 is installed, keeps the chairman's key on a token of its own and makes the
// vice chairman's token for the agent, both in dir; without SoftHSM2 the chairman's
// key is in memory and there is no agent token.
func StartPersonalSigning(ca *pki.Authority, dir string) (*PersonalSigning, error) {
	p := &PersonalSigning{}
	if err := p.start(ca, dir); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *PersonalSigning) start(ca *pki.Authority, dir string) error {
	chairman, err := personOf(RemoteSigner)
	if err != nil {
		return err
	}
	var key crypto.Signer
	var cert *x509.Certificate
	if util, ok := softHSM(); ok {
		if key, cert, err = p.tokens(util, ca, chairman, dir); err != nil {
			return err
		}
	} else {
		cred, err := ca.IssuePerson(pki.Options{Subject: chairman})
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		key, cert = cred.Key, cred.Cert
	}
	p.Provider, err = cscfake.Start([]cscfake.Account{{User: RemoteSigner, PIN: SigningPIN, Key: key, Certificate: cert,
		Chain: []*x509.Certificate{ca.Cert}, OTP: true}})
	if err != nil {
		return fmt.Errorf("demo: fake signing provider: %w", err)
	}
	p.closers = append(p.closers, p.Provider.Close)
	p.ProvidersFile, err = writeProviders(dir, p.Config())
	return err
}

// Config is how a node reaches the fake provider, under the demo's provider ID.
func (p *PersonalSigning) Config() remote.Config {
	c := p.Provider.Config()
	c.ID, c.Name = ProviderID, ProviderName
	return c
}

// OTPPage is the fake provider's page of the OTPs it "sent by SMS".
func (p *PersonalSigning) OTPPage() string {
	return strings.TrimSuffix(p.Provider.URL, "/csc/v2") + "/otp"
}

// Registry is the node's registry of the one demo provider.
func (p *PersonalSigning) Registry() (*remote.Registry, error) {
	return remote.NewRegistry([]remote.Config{p.Config()})
}

// Close stops the provider and closes the chairman's token.
func (p *PersonalSigning) Close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
	p.closers = nil
}

// softHSM finds softhsm2-util and the module.
func softHSM() (string, bool) {
	util, err := exec.LookPath("softhsm2-util")
	if _, statErr := os.Stat(SoftHSMModule); err != nil || statErr != nil {
		return "", false
	}
	return util, true
}

// tokens makes (once; they are kept in dir) the chairman's token, open until Close,
// and the vice chairman's token for the agent, closed again.
func (p *PersonalSigning) tokens(util string, ca *pki.Authority, chairman pki.Subject, dir string) (crypto.Signer, *x509.Certificate, error) {
	conf, err := softHSMConf(filepath.Join(dir, "softhsm"))
	if err != nil {
		return nil, nil, err
	}
	leader, err := personOf(AgentSigner)
	if err != nil {
		return nil, nil, err
	}
	agentToken, _, _, err := tokenKey(util, ca, leader, TokenLabel)
	if err != nil {
		return nil, nil, err
	}
	_ = agentToken.Close()
	p.Token = &Token{Conf: conf, Module: SoftHSMModule, Label: TokenLabel, PIN: SigningPIN}
	token, key, cert, err := tokenKey(util, ca, chairman, "edms-csc")
	if err != nil {
		return nil, nil, err
	}
	p.closers = append(p.closers, func() { _ = token.Close() })
	return key, cert, nil
}

// softHSMConf writes SoftHSM2's configuration for tokens in dir and points this
// process (and the processes it starts) at it.
func softHSMConf(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+dir+"\nobjectstore.backend = file\n"), 0o600); err != nil {
		return "", err
	}
	return conf, os.Setenv("SOFTHSM2_CONF", conf)
}

// tokenKey opens the token labelled label, creating it with a new key and a
// certificate for the person when it does not exist yet.
func tokenKey(util string, ca *pki.Authority, person pki.Subject, label string) (*crypto11.Context, crypto.Signer, *x509.Certificate, error) {
	cfg := &crypto11.Config{Path: SoftHSMModule, TokenLabel: label, Pin: SigningPIN}
	token, err := crypto11.Configure(cfg)
	if err != nil { // no such token yet
		if out, err := exec.Command(util, "--init-token", "--free", "--label", label, "--pin", SigningPIN, "--so-pin", SigningPIN+"00").CombinedOutput(); err != nil {
			return nil, nil, nil, fmt.Errorf("demo: softhsm2-util --init-token: %v: %s", err, out)
		}
		if token, err = crypto11.Configure(cfg); err != nil {
			return nil, nil, nil, fmt.Errorf("demo: token %s: %w", label, err)
		}
	}
	key, cert, err := keyOnToken(token, ca, person)
	if err != nil {
		_ = token.Close()
		return nil, nil, nil, fmt.Errorf("demo: token %s: %w", label, err)
	}
	return token, key, cert, nil
}

// keyOnToken finds the person's key and certificate on the token, or makes them.
func keyOnToken(token *crypto11.Context, ca *pki.Authority, person pki.Subject) (crypto.Signer, *x509.Certificate, error) {
	id, name := []byte{1}, []byte("leader")
	keys, err := token.FindKeyPairs(id, name)
	if err != nil {
		return nil, nil, err
	}
	if len(keys) > 0 {
		cert, err := token.FindCertificate(id, name, nil)
		if err == nil && cert == nil {
			err = errors.New("a key without certificate")
		}
		return keys[0], cert, err
	}
	key, err := token.GenerateRSAKeyPairWithLabel(id, name, 2048)
	if err != nil {
		return nil, nil, err
	}
	cert, err := ca.IssueForKey(key.Public(), pki.Options{Subject: person})
	if err != nil {
		return nil, nil, err
	}
	return key, cert, token.ImportCertificateWithLabel(id, name, cert)
}

// personOf is the subject of a demo leader's personal certificate.
func personOf(username string) (pki.Subject, error) {
	for _, a := range Accounts {
		if a.Username != username {
			continue
		}
		for _, ag := range agencies {
			if ag.OrganID == a.Agency {
				return pki.Subject{CommonName: a.FullName, Title: a.Position, Organization: ag.Name, Province: "Thái Nguyên"}, nil
			}
		}
	}
	return pki.Subject{}, fmt.Errorf("demo: no leader %s", username)
}

// writeProviders writes the providers' file a node reads with -signing-providers.
func writeProviders(dir string, c remote.Config) (string, error) {
	data, err := json.MarshalIndent([]remote.Config{c}, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "signing-providers.json")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return path, os.WriteFile(path, data, 0o600)
}

// SetSigningAccount gives the chairman his account at the demo provider, unless
// someone already chose his provider.
func SetSigningAccount(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := pool.Exec(ctx, `UPDATE users SET signing_provider = $1, signing_account = $2
		WHERE username = $2 AND coalesce(signing_provider, '') = ''`, ProviderID, RemoteSigner)
	if err != nil {
		return fmt.Errorf("demo: signing account: %w", err)
	}
	return nil
}
