//! The command line: every command, its arguments, and an example in its help.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::key::KeySpec;

/// eproxy: electronic powers of attorney (電子委任状) for Japanese companies. A company's
/// representative grants an employee authority to sign for the company; counterparties check
/// that a contract is covered by it.
#[derive(Debug, Parser)]
#[command(name = "eproxy", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Test material for trying eproxy without real cards.
    #[cfg(feature = "testkit")]
    #[command(subcommand)]
    Testkit(TestkitCommand),
    /// Powers of attorney (委任状): write, sign and inspect them.
    #[command(subcommand)]
    Delegation(DelegationCommand),
    /// Contracts signed under a power of attorney.
    #[command(subcommand)]
    Contract(ContractCommand),
    /// A representative's My Number card at the registry: link it to the company with both of
    /// the representative's keys, or end its enrollment.
    #[command(subcommand)]
    Card(CardCommand),
    /// Verify a signed contract: did this person sign it, and does a valid, unrevoked power of
    /// attorney from their company cover it? Exit status 0 accepted, 1 rejected, 2 usage, input
    /// or network error.
    #[command(after_help = "Examples:\n  \
        eproxy verify contract.p7s --trust ./pki/trust --evidence bundle.pb --operator-key operator.vkey\n  \
        eproxy verify contract.p7s --trust ./pki/trust --registry http://127.0.0.1:50051 --operator-key operator.vkey\n  \
        eproxy verify contract.p7s --trust ./pki/trust --poa poa.p7s --document contract.pdf --at 2026-12-01T10:00:00+09:00")]
    Verify(VerifyArgs),
    /// The registry's transparency log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Certificates.
    #[command(subcommand)]
    Cert(CertCommand),
    /// The whole story in a minute, in a temporary directory: a test PKI, a registry, a PoA
    /// issued and registered, a contract signed and verified, a revocation, a later contract
    /// rejected, the log monitored. Every step is a real command, printed as typed.
    #[cfg(feature = "testkit")]
    #[command(after_help = "Example:\n  eproxy demo")]
    Demo {
        /// Keep the temporary directory (its path is printed).
        #[arg(long)]
        keep: bool,
    },
    /// Print a completion script for a shell.
    #[command(
        after_help = "Example:\n  eproxy completions bash > ~/.local/share/bash-completion/completions/eproxy"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `eproxy testkit …`
#[cfg(feature = "testkit")]
#[derive(Debug, Subcommand)]
pub enum TestkitCommand {
    /// Write a complete test PKI: JPKI-profiled employees, a commercial-registration-profiled
    /// representative, roots by role under DIR/trust/, CRLs and a time-stamping authority,
    /// keys as PKCS#12 (password printed) and PEM. Test material only: never trust it.
    #[command(after_help = "Example:\n  eproxy testkit init --out ./pki")]
    Init {
        /// The directory to create (it must not exist, or be empty).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Keys and serial numbers derive from this text: the same seed gives the same keys.
        #[arg(long, default_value = eproxy_testkit::STANDARD_SEED)]
        seed: String,
        /// Report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the test PKI's time-stamping authority (RFC 3161 over HTTP) until interrupted, at
    /// the current time or at a fixed one. Test material only.
    #[command(
        after_help = "Example:\n  eproxy testkit tsa --certificate ./pki/tsa/tsa.pem --key ./pki/tsa/tsa.key.pem --listen 127.0.0.1:3161"
    )]
    Tsa {
        /// The TSA's certificate (PEM).
        #[arg(long, value_name = "FILE")]
        certificate: PathBuf,
        /// Its private key (unencrypted PKCS#8 PEM).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Where to listen (port 0 picks a free one; the first line printed names it).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3161")]
        listen: String,
        /// Stamp every token with this time (RFC 3161 genTime) instead of the current time.
        #[arg(long, value_name = "RFC3339")]
        time: Option<String>,
    },
    /// Store a certificate on a PKCS#11 token beside its key (same id), for tokens such as
    /// SoftHSM2 where a key is imported alone. Prepares a test token; real cards come with
    /// their certificate.
    #[command(after_help = "Example:\n  \
        softhsm2-util --init-token --free --label test --pin 123456 --so-pin 12345678\n  \
        softhsm2-util --import ./pki/representative/sato.key.pem --token test --label sato --id 02 --pin 123456\n  \
        eproxy testkit token-certificate --key 'pkcs11:/usr/lib/softhsm/libsofthsm2.so;token=test;id=02' ./pki/representative/sato.pem")]
    TokenCertificate {
        /// The token and id: pkcs11:MODULE;token=LABEL;id=HEX.
        #[arg(long, value_name = "KEY")]
        key: KeySpec,
        /// The certificate (PEM or DER).
        certificate: PathBuf,
        /// A file holding the PIN (else EPROXY_PIN, else a prompt).
        #[arg(long, value_name = "FILE")]
        pin_file: Option<PathBuf>,
    },
}

/// `eproxy card …`
#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Link your own My Number card to your company, so that it may act for the company (grant,
    /// replace, revoke, list) as your commercial-registration certificate does. Both sign: the
    /// certificate (--key) the request, the card (--card) its consent. The registry checks that
    /// the card's holder is the representative the certificate names.
    #[command(after_help = "Example:
          eproxy card link --key pkcs12:sato.p12 --card 'pkcs11:/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so;token=Digital Signature PIN (JPKI);id=02' --registry https://registry.example.jp --operator-key operator.vkey")]
    Link {
        /// The representative's commercial-registration key (--key), the company, the registry.
        #[command(flatten)]
        request: CompanyRequestArgs,
        /// The card's key.
        #[command(flatten)]
        card: CardKeyArgs,
    },
    /// End a card's enrollment for your company (its holder left office, or it was lost). Any
    /// authority over the company may, the card itself included. It does not void what the
    /// card granted.
    #[command(after_help = "Example:
          eproxy card unlink sato-card.pem --reason '代表取締役退任' --key pkcs12:successor.p12 --registry https://registry.example.jp --operator-key operator.vkey")]
    Unlink {
        /// The card's certificate (PEM or DER), or its SHA-256 (64 hex digits).
        card: String,
        /// Why, for people (kept in the audit trail).
        #[arg(long)]
        reason: String,
        /// The signer, the company, the registry.
        #[command(flatten)]
        request: CompanyRequestArgs,
    },
}

/// What every signed request for a company takes: the signer's key, the company (when the key
/// does not name it), the registry, and how to report.
#[derive(Debug, Args)]
pub struct CompanyRequestArgs {
    /// The signer's key: an authority over the company (its representative, an enrolled card,
    /// or for a sub-delegation its delegator).
    #[command(flatten)]
    pub key: KeyArgs,
    /// The company acted for (default: the one a commercial-registration certificate names).
    #[arg(long, value_name = "NUMBER")]
    pub company: Option<String>,
    /// The registry.
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Report as JSON.
    #[arg(long)]
    pub json: bool,
}

impl CompanyRequestArgs {
    /// The key, the company, the registry and whether to report as JSON.
    pub fn parts(&self) -> (&KeyArgs, Option<&str>, &RegistryArgs, bool) {
        (
            &self.key,
            self.company.as_deref(),
            &self.registry,
            self.json,
        )
    }
}

/// The card's key, beside the representative's, in `eproxy card link`.
#[derive(Debug, Args)]
pub struct CardKeyArgs {
    /// The card's key: pkcs11:MODULE[;token=LABEL][;id=HEX] (a My Number card through OpenSC),
    /// or pem:KEYFILE,CERTFILE / pkcs12:FILE for test material.
    #[arg(long, value_name = "KEY")]
    pub card: KeySpec,
    /// A file holding the card key's password (else EPROXY_PASSWORD, else a prompt).
    #[arg(long, value_name = "FILE")]
    pub card_password_file: Option<PathBuf>,
    /// A file holding the card's PIN (else EPROXY_PIN, else a prompt).
    #[arg(long, value_name = "FILE")]
    pub card_pin_file: Option<PathBuf>,
}

impl From<CardKeyArgs> for KeyArgs {
    fn from(card: CardKeyArgs) -> Self {
        Self {
            key: card.card,
            password_file: card.card_password_file,
            pin_file: card.card_pin_file,
        }
    }
}

/// How a command that signs gets its key and the key's password or PIN.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The signer's key: pkcs12:FILE, pem:KEYFILE,CERTFILE or pkcs11:MODULE[;token=LABEL][;id=HEX].
    #[arg(long, value_name = "KEY")]
    pub key: KeySpec,
    /// A file holding the PKCS#12 or key password (else EPROXY_PASSWORD, else a prompt).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// A file holding the PKCS#11 PIN (else EPROXY_PIN, else a prompt).
    #[arg(long, value_name = "FILE")]
    pub pin_file: Option<PathBuf>,
}

/// A representative's key, for commands that may act for the company but need not.
#[derive(Debug, Args)]
pub struct OptionalKeyArgs {
    /// The key: pkcs12:FILE, pem:KEYFILE,CERTFILE or pkcs11:MODULE[;token=LABEL][;id=HEX].
    #[arg(long, value_name = "KEY")]
    pub key: Option<KeySpec>,
    /// A file holding the key's password.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// A file holding the token's PIN.
    #[arg(long, value_name = "FILE")]
    pub pin_file: Option<PathBuf>,
}

impl OptionalKeyArgs {
    /// The key and its secrets, if a key was named.
    pub fn given(self) -> Option<KeyArgs> {
        let Self {
            key,
            password_file,
            pin_file,
        } = self;
        key.map(|key| KeyArgs {
            key,
            password_file,
            pin_file,
        })
    }
}

/// `eproxy delegation …`
#[derive(Debug, Subcommand)]
pub enum DelegationCommand {
    /// Write a PoA draft (TOML) from flags, for review before signing. The draft format is in
    /// the README and can be written by hand too.
    #[command(after_help = "Example:\n  \
        eproxy delegation new --company 1234567890123 --company-name 'サンプル株式会社' \\\n    \
        --company-address '東京都千代田区霞が関1-1-1' --representative '山田　花子' --title 代表取締役 \\\n    \
        --delegatee-cert ./pki/employee/yamada.pem --delegatee-name '山田　太郎' \\\n    \
        --matter conclude-contracts --amount-cap 5000000 --counterparty any \\\n    \
        --from 2026-12-01 --until 2027-11-30 -o poa.toml")]
    New(Box<NewDelegationArgs>),
    /// Sign a PoA draft: its canonical content, as CMS SignedData.
    #[command(
        after_help = "Example:\n  eproxy delegation sign poa.toml --key pkcs12:./pki/representative/hanako.p12 -o poa.p7s"
    )]
    Sign {
        /// The draft.
        draft: PathBuf,
        /// The signer.
        #[command(flatten)]
        key: KeyArgs,
        /// Where to write the signed PoA (DER).
        #[arg(short, long, value_name = "FILE")]
        out: PathBuf,
        /// Report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Register a signed PoA with the registry: it is checked, stored and logged, and the
    /// receipt gives its log index and registration time.
    #[command(
        after_help = "Example:\n  eproxy delegation submit poa.p7s --registry http://127.0.0.1:50051"
    )]
    Submit {
        /// The signed PoA.
        file: PathBuf,
        /// CRLs to pass along for the signer's certificate path (the registry holds its own too).
        #[arg(long, value_name = "FILE")]
        crl: Vec<PathBuf>,
        /// The registry.
        #[command(flatten)]
        registry: RegistryArgs,
        /// Report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// A PoA's status at the registry, as a statement signed by the operator (checked).
    #[command(
        after_help = "Example:\n  eproxy delegation status 3f2a…e9 --operator-key operator.vkey"
    )]
    Status {
        /// The delegation id.
        id: String,
        /// The registry.
        #[command(flatten)]
        registry: RegistryArgs,
        /// Report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a PoA, effective when the registry receives the signed request. Contracts signed
    /// after that are no longer covered. This cannot be undone.
    #[command(
        after_help = "Example:\n  eproxy delegation revoke 3f2a…e9 --reason-code left-company --reason '退職' --key pkcs12:rep.p12"
    )]
    Revoke {
        /// The delegation id.
        id: String,
        /// Why, as a code: public in the PoA's status.
        #[arg(long, value_parser = ["left-company", "certificate-renewed", "key-compromise", "scope-changed", "other"])]
        reason_code: String,
        /// Why, in your words: shown only to those entitled to the PoA (the company, a
        /// contract's counterparty), never in its public status.
        #[arg(long)]
        reason: String,
        /// The signer, the company, the registry.
        #[command(flatten)]
        request: CompanyRequestArgs,
    },
    /// List your company's PoAs at the registry, with their status.
    #[command(after_help = "Example:\n  eproxy delegation list --key pkcs12:rep.p12")]
    List {
        /// The signer, the company, the registry.
        #[command(flatten)]
        request: CompanyRequestArgs,
    },
    /// Fetch a PoA's evidence bundle (the PoA, its status, the log's proofs) for offline
    /// verification: as a counterparty with the contract signed under it, or as the company.
    #[command(
        after_help = "Example:\n  eproxy delegation evidence 3f2a…e9 --contract contract.p7s -o bundle.pb"
    )]
    Evidence {
        /// The delegation id.
        id: String,
        /// A contract signed under the PoA: the counterparty's entitlement.
        #[arg(long, value_name = "FILE", conflicts_with = "key")]
        contract: Option<PathBuf>,
        /// Or the company's representative's key (--key): pkcs12:FILE, pem:KEY,CERT or pkcs11:….
        #[command(flatten)]
        signer: OptionalKeyArgs,
        /// The company (default: the one a commercial-registration certificate names).
        #[arg(long, value_name = "NUMBER")]
        company: Option<String>,
        /// The registry.
        #[command(flatten)]
        registry: RegistryArgs,
        /// Where to write the bundle.
        #[arg(short, long, value_name = "FILE")]
        out: PathBuf,
        /// Report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a signed PoA (or a draft): the grant, with Japanese labels and English, and the
    /// signer's certificate data. Given an id, the company's PoA is fetched from the registry
    /// (with --key, as `list` does) and shown with its status.
    #[command(
        after_help = "Examples:\n  eproxy delegation show poa.p7s\n  eproxy delegation show 3f2a…e9 --key pkcs12:rep.p12 --operator-key operator.vkey"
    )]
    Show {
        /// A signed PoA (.p7s), a draft (.toml), or a delegation id.
        target: String,
        /// For an id: a representative's key (--key), to fetch the company's PoA.
        #[command(flatten)]
        signer: OptionalKeyArgs,
        /// The company (default: the one a commercial-registration certificate names).
        #[arg(long, value_name = "NUMBER")]
        company: Option<String>,
        /// The registry, for an id.
        #[command(flatten)]
        registry: RegistryArgs,
        /// Report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The flags of `eproxy delegation new`.
#[derive(Debug, Args)]
pub struct NewDelegationArgs {
    /// The company's corporate number (法人番号), 13 digits.
    #[arg(long, value_name = "NUMBER")]
    pub company: String,
    /// The company's registered trade name (商号).
    #[arg(long, value_name = "NAME")]
    pub company_name: String,
    /// The head-office address (本店所在地).
    #[arg(long, value_name = "ADDRESS")]
    pub company_address: String,
    /// The representative's name as registered (代表者氏名).
    #[arg(long, value_name = "NAME")]
    pub representative: String,
    /// The representative's title as registered (役職).
    #[arg(long, value_name = "TITLE", default_value = "代表取締役")]
    pub title: String,
    /// The employee's JPKI signing certificate (PEM or DER): the PoA binds its hash.
    #[arg(long, value_name = "FILE")]
    pub delegatee_cert: PathBuf,
    /// The employee's name for display (the certificate's name is the one that counts).
    #[arg(long, value_name = "NAME")]
    pub delegatee_name: String,
    /// A matter delegated: bids-and-quotes, conclude-contracts, claim-and-receive-payment,
    /// appoint-sub-agents, or an extension code (namespace:code). Repeat for several.
    #[arg(long = "matter", value_name = "MATTER", required = true)]
    pub matters: Vec<String>,
    /// The per-contract cap in whole yen, or "none" for an explicit "no limit".
    #[arg(long, value_name = "YEN|none")]
    pub amount_cap: String,
    /// A counterparty's corporate number (repeat for several), or "any".
    #[arg(long = "counterparty", value_name = "NUMBER|any", required = true)]
    pub counterparties: Vec<String>,
    /// The first day (JST) or moment (RFC 3339) the PoA holds.
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// The last day (JST, inclusive) or moment (RFC 3339) the PoA holds.
    #[arg(long, value_name = "DATE")]
    pub until: String,
    /// How many levels of sub-delegation (復代理) the employee may create: 0 forbids it, and
    /// any other value needs --matter appoint-sub-agents.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub sub_delegation_depth: u32,
    /// For a sub-delegation: the parent PoA's id.
    #[arg(long, value_name = "ID")]
    pub parent: Option<String>,
    /// The id of a PoA this one replaces (e.g. after the employee's certificate was renewed).
    #[arg(long, value_name = "ID")]
    pub supersedes: Option<String>,
    /// Free text for people; never machine-trusted.
    #[arg(long, value_name = "TEXT")]
    pub remarks: Option<String>,
    /// Where to write the draft.
    #[arg(short, long, value_name = "FILE")]
    pub out: PathBuf,
    /// Report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `eproxy contract …`
#[derive(Debug, Subcommand)]
pub enum ContractCommand {
    /// Sign a contract under a PoA: the terms (TOML, naming the PoA) with the document's
    /// digest, which is computed here, never typed.
    #[command(
        after_help = "Example:\n  eproxy contract sign --terms terms.toml --document contract.pdf --key pem:./pki/employee/yamada.key.pem,./pki/employee/yamada.pem -o contract.p7s"
    )]
    Sign {
        /// The terms: delegation, matter, counterparty, amount_yen, title, media_type.
        #[arg(long, value_name = "FILE")]
        terms: PathBuf,
        /// The contract document itself.
        #[arg(long, value_name = "FILE")]
        document: PathBuf,
        /// The signer (the employee the PoA names).
        #[command(flatten)]
        key: KeyArgs,
        /// Timestamp the signature at this RFC 3161 authority (http://…), so that verifiers
        /// know from a third party when it was signed; else EPROXY_TSA.
        #[arg(long, value_name = "URL", env = "EPROXY_TSA")]
        tsa: Option<String>,
        /// Where to write the signed contract (DER).
        #[arg(short, long, value_name = "FILE")]
        out: PathBuf,
        /// Report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The arguments of `eproxy verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The signed contract (CMS, DER or PEM).
    pub contract: PathBuf,
    /// The trust directory: roots by role in jpki-signing/, commercial-registration/, tsa/.
    #[arg(long, value_name = "DIR")]
    pub trust: PathBuf,
    /// The contract document, to check it is the one signed.
    #[arg(long, value_name = "FILE")]
    pub document: Option<PathBuf>,
    /// The registry's evidence bundle for the contract's PoA (needs --operator-key).
    #[arg(long, value_name = "BUNDLE", conflicts_with_all = ["poa", "registry"])]
    pub evidence: Option<PathBuf>,
    /// Fetch the evidence from this registry, the contract as entitlement (needs
    /// --operator-key). Also from EPROXY_REGISTRY or the config file when neither --evidence
    /// nor --poa is given.
    #[arg(long, value_name = "URL", conflicts_with = "poa")]
    pub registry: Option<String>,
    /// A signed PoA given directly, the contract's first, then its parents. Its registry
    /// status is then unknown, and the verdict says so.
    #[arg(long, value_name = "FILE")]
    pub poa: Vec<PathBuf>,
    /// The registry operator's public key (a note verifier key, `name+hash+base64`, in a file);
    /// else `operator_key` in the config file.
    #[arg(long, value_name = "FILE")]
    pub operator_key: Option<PathBuf>,
    /// CRLs for the certificate paths (PEM or DER). Repeat for several.
    #[arg(long, value_name = "FILE")]
    pub crl: Vec<PathBuf>,
    /// Verify as of this time (RFC 3339) when the contract carries no timestamp; now if absent.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Your own corporate number: reject a contract whose terms name another counterparty.
    #[arg(long, value_name = "NUMBER")]
    pub counterparty: Option<String>,
    /// Require the evidence's checkpoint to be cosigned by a quorum of witnesses: a policy in
    /// the C2SP tlog-policy text form (`witness NAME VKEY`, `group NAME K MEMBER…`,
    /// `quorum NAME`). Evidence short of it is rejected, naming the witnesses missing.
    #[arg(long, value_name = "FILE")]
    pub witness_policy: Option<PathBuf>,
    /// Accept what cannot be checked offline (a certificate without a CRL, a PoA given with
    /// --poa and so without registry status) with a caveat, instead of rejecting.
    #[arg(long)]
    pub lenient: bool,
    /// Report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Which registry, and the key its answers are checked under.
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// The registry's URL (http://HOST:PORT or https://HOST:PORT), or several nodes of one
    /// registry, comma-separated, tried in turn while one is unreachable or takes no writes;
    /// else EPROXY_REGISTRY, else `registry` in ~/.config/eproxy/config.toml.
    #[arg(long, value_name = "URL[,URL…]", env = "EPROXY_REGISTRY")]
    pub registry: Option<String>,
    /// The operator's published key (operator.vkey); else `operator_key` in the config file.
    #[arg(long, value_name = "FILE")]
    pub operator_key: Option<PathBuf>,
}

/// `eproxy log …`
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Check the registry's signed checkpoint and its consistency with the last one seen (kept
    /// in the state file); report growth. Exit status 1, loudly, if the log shrank or forked.
    #[command(
        after_help = "Examples (run it from cron):\n  eproxy log monitor --registry https://registry.example.jp --operator-key operator.vkey --state ~/.local/state/eproxy-monitor.json\n  eproxy log monitor --tiles http://tiles.registry.example.jp --operator-key operator.vkey --state ~/.local/state/eproxy-monitor.json"
    )]
    Monitor {
        /// The registry.
        #[command(flatten)]
        registry: RegistryArgs,
        /// Where the last verified checkpoint is kept between runs.
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
        /// Read the log as C2SP tlog-tiles from this URL prefix (http://…, the registry's
        /// `tiles_listen` or any cache or mirror of it) instead of the registry's gRPC API: the
        /// checkpoint from <URL>/checkpoint, and the consistency proof computed from tiles.
        #[arg(long, value_name = "URL")]
        tiles: Option<String>,
        /// Report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a PoA's registration as a C2SP tlog-proof (an offline proof any transparency-log
    /// tool can check), taken from an evidence bundle or computed from the log's tiles alone.
    #[command(
        after_help = "Examples:\n  eproxy log prove --poa poa.p7s --evidence bundle.pb -o poa.tlog-proof --operator-key operator.vkey\n  eproxy log prove --poa poa.p7s --tiles http://tiles.registry.example.jp --index 7 -o poa.tlog-proof --operator-key operator.vkey"
    )]
    Prove {
        /// The PoA (CMS, DER).
        #[arg(long, value_name = "FILE")]
        poa: PathBuf,
        /// An evidence bundle the registry released for the PoA.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["tiles", "index"])]
        evidence: Option<PathBuf>,
        /// The log's tiles under this URL prefix (http://…) instead.
        #[arg(long, value_name = "URL", requires = "index")]
        tiles: Option<String>,
        /// With --tiles: the registration's index in the log (the receipt's log_index).
        #[arg(long, value_name = "N", requires = "tiles")]
        index: Option<u64>,
        /// The operator's published key (operator.vkey); else `operator_key` in the config
        /// file.
        #[arg(long, value_name = "FILE")]
        operator_key: Option<PathBuf>,
        /// Where to write the proof (`-` for standard output).
        #[arg(short, long, value_name = "FILE", default_value = "-")]
        output: PathBuf,
    },
    /// Check that a C2SP tlog-proof proves a PoA's registration in the operator's log, with a
    /// witness policy's quorum of cosignatures if given. Exit status 0 proven, 1 not.
    #[command(
        after_help = "Example:\n  eproxy log check-proof poa.tlog-proof --poa poa.p7s --operator-key operator.vkey --witness-policy witnesses.policy"
    )]
    CheckProof {
        /// The proof.
        proof: PathBuf,
        /// The PoA (CMS, DER) it should prove.
        #[arg(long, value_name = "FILE")]
        poa: PathBuf,
        /// The operator's published key (operator.vkey); else `operator_key` in the config
        /// file.
        #[arg(long, value_name = "FILE")]
        operator_key: Option<PathBuf>,
        /// A witness policy (C2SP tlog-policy) whose quorum must have cosigned the checkpoint.
        #[arg(long, value_name = "FILE")]
        witness_policy: Option<PathBuf>,
        /// Report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `eproxy cert …`
#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Validate one certificate's path to a trust anchor (RFC 5280), as eproxy validates every
    /// signer. Exit status 0 valid, 1 invalid, 2 usage or input error.
    #[command(
        after_help = "Example:\n  eproxy cert check ./pki/employee/yamada.pem --trust ./pki/trust --role employee --crl ./pki/crl/jpki-signing.crl.pem"
    )]
    Check(CertCheckArgs),
}

/// The arguments of `eproxy cert check`.
#[derive(Debug, Args)]
pub struct CertCheckArgs {
    /// The certificate (PEM or DER; the first of a PEM file).
    pub certificate: PathBuf,
    /// The trust directory: roots by role in subdirectories, or root files directly in it (those
    /// count for --role any only).
    #[arg(long, value_name = "DIR")]
    pub trust: PathBuf,
    /// Intermediate CA certificates for path building. Repeat for several.
    #[arg(long, value_name = "FILE")]
    pub intermediate: Vec<PathBuf>,
    /// CRLs (PEM or DER). Repeat for several.
    #[arg(long, value_name = "FILE")]
    pub crl: Vec<PathBuf>,
    /// Validate as of this time (RFC 3339; a fraction of a second is dropped); now if absent.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Whose certificate: an employee's (JPKI signing roots), a representative's (JPKI signing
    /// or commercial-registration roots), or any (every root, path validation alone).
    #[arg(long, value_enum, default_value = "any")]
    pub role: Role,
    /// Treat a certificate whose revocation no CRL tells as invalid (the default accepts it
    /// with a caveat).
    #[arg(long)]
    pub require_crl: bool,
    /// Report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The role a certificate is checked for.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Role {
    /// An employee (delegatee).
    Employee,
    /// A company's representative.
    Representative,
    /// Any end entity.
    Any,
}
