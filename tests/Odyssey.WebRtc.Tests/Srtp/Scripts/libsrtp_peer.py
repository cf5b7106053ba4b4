"""libsrtp (through pylibsrtp, what aiortc uses) as a reference SRTP peer for the tests.

argv: profile (aes128cm | gcm), master key||salt in hex.
stdin, one command per line:
  protect-rtp <plain hex>     -> protected hex (libsrtp protects)
  protect-rtcp <plain hex>    -> protected hex
  unprotect-rtp <srtp hex>    -> plain hex, or ERR <message>
  unprotect-rtcp <srtcp hex>  -> plain hex, or ERR <message>
"""
import sys

from pylibsrtp import Error, Policy, Session

PROFILES = {
    "aes128cm": Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    "gcm": Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
}

profile = PROFILES[sys.argv[1]]
key = bytes.fromhex(sys.argv[2])
sender = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=profile))
receiver = Session(Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND, srtp_profile=profile))
actions = {
    "protect-rtp": sender.protect,
    "protect-rtcp": sender.protect_rtcp,
    "unprotect-rtp": receiver.unprotect,
    "unprotect-rtcp": receiver.unprotect_rtcp,
}
for line in sys.stdin:
    command, _, data = line.strip().partition(" ")
    if not command:
        continue
    try:
        print(actions[command](bytes.fromhex(data)).hex(), flush=True)
    except Error as error:
        print("ERR", error, flush=True)
