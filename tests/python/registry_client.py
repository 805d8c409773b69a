"""A registry client in Python, built from the .proto files alone.

It shows that proto/ is a complete specification: the stubs are compiled here from the .proto
files with grpcio-tools, and every check (the operator's Ed25519 signatures on receipts,
statements and checkpoints; the RFC 6962 inclusion proof) is written below from the rules in
proto/README.md, not taken from the Rust code.

Given a PoA (CMS DER, as `eproxy delegation sign` writes it) and a contract under it, it submits
the PoA twice (the second is idempotent), reads its signed status, is refused the evidence
without an entitlement and given it with the contract, reads the checkpoint and the PoA's log
leaf, and checks the inclusion proof, both the one the registry serves and the one in the
evidence bundle. A proof with one hash changed must fail. It prints a JSON summary; any failed
check exits 1.
"""

import argparse
import base64
import hashlib
import json
import pathlib
import sys
import tempfile

import grpc
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from grpc_tools import protoc

RECEIPT_PREFIX = b"eproxy registration receipt v1\n"
STATUS_PREFIX = b"eproxy status statement v1\n"


class CheckFailed(Exception):
    """A check the registry's answer did not pass."""


def check(condition, what):
    if not condition:
        raise CheckFailed(what)


def compile_protos(proto_root, out):
    """Compiles every .proto file under proto_root into Python modules in out."""
    files = sorted(str(p.relative_to(proto_root)) for p in proto_root.rglob("*.proto"))
    include = pathlib.Path(protoc.__file__).parent / "_proto"
    status = protoc.main(
        ["protoc", f"-I{proto_root}", f"-I{include}", f"--python_out={out}",
         f"--grpc_python_out={out}", *files]
    )
    check(status == 0, f"protoc failed on {files}")
    sys.path.insert(0, str(out))


class OperatorKey:
    """A pinned C2SP note verifier key: <name>+<8 hex digits of key hash>+<base64(0x01 || key)>.

    The name has no "+" (C2SP signed-note); the base64 may.
    """

    def __init__(self, text):
        name, key_hash, encoded = text.strip().split("+", 2)
        raw = base64.b64decode(encoded)
        check(len(raw) == 33 and raw[0] == 1, "the operator key is not an Ed25519 note key")
        self.name = name
        self.public_key = raw[1:]
        self.key_hash = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
        check(self.key_hash.hex() == key_hash, "the operator key's hash does not match its key")
        self.key = Ed25519PublicKey.from_public_bytes(self.public_key)

    def verify(self, message, signature, what):
        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            raise CheckFailed(f"{what}: the operator's signature does not verify") from None

    def checkpoint(self, note):
        """The size and root of a signed checkpoint note, after checking its signature."""
        text, separator, signatures = note.partition("\n\n")
        check(separator, "the checkpoint has no signature block")
        text += "\n"
        lines = text.splitlines()
        check(len(lines) >= 3, "the checkpoint has fewer than three lines")
        origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2])
        check(origin == self.name, f"the checkpoint's origin {origin!r} is not the key's")
        check(len(root) == 32, "the checkpoint's root is not 32 bytes")
        for line in signatures.splitlines():
            dash, name, encoded = line.split(" ")
            blob = base64.b64decode(encoded)
            if dash == "\u2014" and name == self.name and blob[:4] == self.key_hash:
                self.verify(text.encode(), blob[4:], "the checkpoint")
                return size, root
        raise CheckFailed("the checkpoint carries no signature by the operator's key")


def leaf_hash(leaf):
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def inclusion_root(leaf, index, size, proof):
    """The root an RFC 6962 inclusion proof leads to (RFC 9162 2.1.3.2), or None."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf_hash(leaf)
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", required=True, help="host:port of the registry")
    parser.add_argument("--proto", required=True, type=pathlib.Path, help="the proto/ directory")
    parser.add_argument("--operator-key", required=True, type=pathlib.Path)
    parser.add_argument("--poa", required=True, type=pathlib.Path, help="the PoA, CMS DER")
    parser.add_argument("--contract", required=True, type=pathlib.Path, help="a contract under it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as generated:
        compile_protos(args.proto.resolve(), pathlib.Path(generated))
        from eproxy.registry.v1 import registry_pb2 as api
        from eproxy.registry.v1 import registry_pb2_grpc as rpc
        from eproxy.v1 import evidence_pb2 as evidence

        operator = OperatorKey(args.operator_key.read_text())
        poa, contract = args.poa.read_bytes(), args.contract.read_bytes()
        delegation_id = hashlib.sha256(poa).digest()
        channel = grpc.insecure_channel(args.registry)
        registry, log = rpc.RegistryStub(channel), rpc.TransparencyLogStub(channel)

        # Submit, twice: the receipt is signed, names this PoA, and does not change.
        receipts = []
        for attempt in (1, 2):
            answer = registry.SubmitDelegation(api.SubmitDelegationRequest(delegation_cms=poa))
            check(answer.already_registered == (attempt == 2), f"submission {attempt}: already_registered")
            operator.verify(RECEIPT_PREFIX + answer.receipt.receipt, answer.receipt.signature, "the receipt")
            receipt = evidence.RegistrationReceipt.FromString(answer.receipt.receipt)
            check(receipt.delegation_id == delegation_id, "the receipt names another PoA")
            check(receipt.log_origin == operator.name, "the receipt names another log")
            receipts.append(receipt)
        check(receipts[0] == receipts[1], "the repeated submission gave another receipt")
        index = receipts[0].log_index

        # Status: signed, ACTIVE, pointing at the receipt's log entry.
        signed = registry.GetStatus(api.GetStatusRequest(delegation_id=delegation_id.hex())).status
        operator.verify(STATUS_PREFIX + signed.statement, signed.signature, "the status statement")
        status = evidence.StatusStatement.FromString(signed.statement)
        check(status.status == evidence.DELEGATION_STATUS_ACTIVE, f"status {status.status}")
        check(status.registration_log_index == index, "the status points at another log entry")

        # Evidence: refused without an entitlement, given with the contract.
        try:
            registry.GetEvidence(api.GetEvidenceRequest(delegation_id=delegation_id.hex()))
            raise CheckFailed("evidence was given without an entitlement")
        except grpc.RpcError as refusal:
            check(refusal.code() == grpc.StatusCode.PERMISSION_DENIED, f"refusal {refusal.code()}")
        bundle = evidence.EvidenceBundle.FromString(
            registry.GetEvidence(
                api.GetEvidenceRequest(delegation_id=delegation_id.hex(), contract_cms=contract)
            ).bundle
        )
        link = bundle.links[0]
        check(link.delegation_cms == poa, "the bundle's first link is another PoA")

        # The log: the checkpoint, the PoA's leaf, and its inclusion proof, checked here.
        size, root = operator.checkpoint(log.GetCheckpoint(api.GetCheckpointRequest()).checkpoint)
        check(size > index, f"the checkpoint of size {size} does not cover index {index}")
        (leaf,) = log.GetLeaves(api.GetLeavesRequest(start=index, end=index + 1)).leaves
        event = evidence.LogEvent.FromString(leaf)
        check(event.kind == evidence.LOG_EVENT_KIND_REGISTRATION, "the leaf is not a registration")
        check(event.delegation_id == delegation_id, "the leaf names another PoA")
        check(event.at_unix_seconds == receipts[0].registered_at_unix_seconds, "the leaf's time")
        proof = log.GetInclusionProof(api.GetInclusionProofRequest(leaf_index=index, tree_size=size)).proof
        check(inclusion_root(leaf, index, size, proof.hashes) == root, "the inclusion proof fails")
        if proof.hashes:
            forged = list(proof.hashes)
            forged[0] = bytes([forged[0][0] ^ 1]) + forged[0][1:]
            check(inclusion_root(leaf, index, size, forged) != root, "a forged proof passed")
        check(inclusion_root(leaf, index, size + 1, proof.hashes) != root, "a proof passed at the wrong size")

        # The bundle's own proof leads to its own signed checkpoint.
        bundle_size, bundle_root = operator.checkpoint(bundle.checkpoint)
        check(link.registration_event == leaf, "the bundle's event is not the log's leaf")
        check(link.inclusion.tree_size == bundle_size, "the bundle's proof is for another size")
        check(
            inclusion_root(leaf, link.inclusion.leaf_index, bundle_size, link.inclusion.hashes) == bundle_root,
            "the bundle's inclusion proof fails",
        )

        print(json.dumps({
            "delegation_id": delegation_id.hex(),
            "log_index": index,
            "status": evidence.DelegationStatus.Name(status.status),
            "checkpoint_size": size,
            "proof_hashes": len(proof.hashes),
        }))


if __name__ == "__main__":
    try:
        main()
    except (CheckFailed, grpc.RpcError) as failure:
        print(f"registry_client: {failure}", file=sys.stderr)
        sys.exit(1)
