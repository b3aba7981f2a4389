"""The key and certificate payment proofs are signed with (SPEC DO-8).

Production reads a configured identity: `DOCUMENTS_SIGNING_PKCS12` (+
`DOCUMENTS_SIGNING_PKCS12_PASSWORD`), or `DOCUMENTS_SIGNING_CERT` + `DOCUMENTS_SIGNING_KEY`
(+ `DOCUMENTS_SIGNING_KEY_PASSWORD`), optionally `DOCUMENTS_SIGNING_CHAIN` (intermediate
certificates, comma-separated PEM files). Without them (development), an RSA-3072 key and a
self-signed certificate are generated once into `<CONSIGNATIONS_VAR_DIR>/signing/` — outside
the repository, key readable by its owner only — and reused afterwards.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

DEV_KEY = "dev-signing-key.pem"
DEV_CERT = "dev-signing-cert.pem"
DEV_SUBJECT = "Consignations - signature de développement"  # CN: 64 characters at most


def generate_dev_identity(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path, cert_path = folder / DEV_KEY, folder / DEV_CERT
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Caisse des Dépôts"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Service des consignations"),
        x509.NameAttribute(NameOID.COMMON_NAME, DEV_SUBJECT),
    ])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # Written under temporary names then linked into place: two processes starting together
    # both end up with the same, complete pair.
    suffix = f".{os.getpid()}.tmp"
    tmp_key, tmp_cert = folder / (DEV_KEY + suffix), folder / (DEV_CERT + suffix)
    fd = os.open(tmp_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_pem)
    tmp_cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    try:
        if not key_path.exists():
            os.link(tmp_key, key_path)
            os.replace(tmp_cert, cert_path)
    except FileExistsError:
        pass
    finally:
        tmp_key.unlink(missing_ok=True)
        tmp_cert.unlink(missing_ok=True)
    log.warning("development signing certificate generated in %s: configure DOCUMENTS_SIGNING_* in production", folder)
    return key_path, cert_path


def signing_material(settings) -> dict:
    """What a worker needs to sign (paths and passphrase), from the settings."""
    chain = [p for p in (settings.get("DOCUMENTS_SIGNING_CHAIN") or "").split(",") if p.strip()]
    if settings.get("DOCUMENTS_SIGNING_PKCS12"):
        return {"pkcs12_path": settings.get("DOCUMENTS_SIGNING_PKCS12"),
                "passphrase": settings.get("DOCUMENTS_SIGNING_PKCS12_PASSWORD") or "", "chain_paths": chain}
    if settings.get("DOCUMENTS_SIGNING_CERT") or settings.get("DOCUMENTS_SIGNING_KEY"):
        if not (settings.get("DOCUMENTS_SIGNING_CERT") and settings.get("DOCUMENTS_SIGNING_KEY")):
            raise RuntimeError("DOCUMENTS_SIGNING_CERT and DOCUMENTS_SIGNING_KEY go together")
        return {"cert_path": settings.get("DOCUMENTS_SIGNING_CERT"), "key_path": settings.get("DOCUMENTS_SIGNING_KEY"),
                "passphrase": settings.get("DOCUMENTS_SIGNING_KEY_PASSWORD") or "", "chain_paths": chain}
    key_path, cert_path = generate_dev_identity(Path(settings.var_dir) / "signing")
    return {"cert_path": str(key_path.parent / DEV_CERT), "key_path": str(key_path), "passphrase": "",
            "chain_paths": [], "development": True}


def signer_description(material: dict) -> dict:
    """Subject and SHA-256 fingerprint of the signing certificate (shown on the proof, in events)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    if material.get("pkcs12_path"):
        from cryptography.hazmat.primitives.serialization import pkcs12

        passphrase = (material.get("passphrase") or "").encode("utf-8") or None
        _, certificate, _ = pkcs12.load_key_and_certificates(Path(material["pkcs12_path"]).read_bytes(), passphrase)
    else:
        data = Path(material["cert_path"]).read_bytes()
        certificate = (x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data
                       else x509.load_der_x509_certificate(data))
    der = certificate.public_bytes(serialization.Encoding.DER)
    return {"subject": certificate.subject.rfc4514_string(),
            "certificate_sha256": hashlib.sha256(der).hexdigest(),
            "not_after": certificate.not_valid_after_utc.isoformat()}
