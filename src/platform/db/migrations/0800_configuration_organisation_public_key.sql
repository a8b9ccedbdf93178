-- The organisation's RSA public key (GXF's "application key", README "E-meter keys"): GetKeys encrypts every key it
-- returns with it (RSA-OAEP). Set by an administrator (`meterfabric org set ORG --public-key PEMFILE`).
CREATE TABLE organisation_public_key (
  organisation_identification text PRIMARY KEY REFERENCES organisation (identification) ON DELETE CASCADE ON UPDATE CASCADE,
  public_key_pem text NOT NULL,
  modulus_bits integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
