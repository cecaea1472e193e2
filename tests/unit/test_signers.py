"""Signers against the venues' and standards' published examples, and against ccxt."""

from __future__ import annotations

import logging

import ccxt
import pytest
from eth_account import Account

from alephtx.core.signers import EvmSigner, HmacSigner, StarkSigner, hyperliquid, stark
from alephtx.core.signers.evm import recover_digest, recover_typed_data

HL_KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"


def hexsig(sig: dict[str, int]) -> tuple[str, str, int]:
    return hex(sig["r"]), hex(sig["s"]), sig["v"]


# -- HMAC ------------------------------------------------------------------------------------------


def test_binance_documented_example() -> None:
    # Binance API docs, "SIGNED endpoint examples for POST /api/v3/order".
    s = HmacSigner("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
    q = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
    assert s.sign(q) == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    assert s.verify(q, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")
    assert not s.verify(q + "0", "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")


def test_binance_matches_ccxt() -> None:
    ex = ccxt.binance({"apiKey": "k", "secret": "s3cr3t"})
    ex.milliseconds = ex.nonce = lambda: 1700000000000
    r = ex.sign(
        "order", ["fapiPrivate"], "POST", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"}
    )
    body, sig = r["body"].rsplit("&signature=", 1)
    assert HmacSigner("s3cr3t").sign(body) == sig


def test_okx_matches_ccxt() -> None:
    ex = ccxt.okx({"apiKey": "k", "secret": "s3cr3t", "password": "pp"})
    ex.milliseconds = lambda: 1700000000000
    params = {"instId": "BTC-USDT-SWAP", "tdMode": "cross", "side": "buy", "ordType": "limit", "px": "1", "sz": "1"}
    r = ex.sign("trade/order", ["private"], "POST", params)
    h = r["headers"]
    payload = h["OK-ACCESS-TIMESTAMP"] + "POST" + "/api/v5/trade/order" + r["body"]
    assert HmacSigner("s3cr3t").sign(payload, "base64") == h["OK-ACCESS-SIGN"]


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_bybit_v5_matches_ccxt(method: str) -> None:
    ex = ccxt.bybit({"apiKey": "k", "secret": "s3cr3t"})
    ex.milliseconds = ex.nonce = lambda: 1700000000000
    params = {"category": "linear", "symbol": "BTCUSDT"}
    r = ex.sign("v5/order/realtime" if method == "GET" else "v5/order/create", ["private"], method, params)
    h = r["headers"]
    payload = r["body"] if method == "POST" else r["url"].split("?", 1)[1]
    signed = h["X-BAPI-TIMESTAMP"] + h["X-BAPI-API-KEY"] + h["X-BAPI-RECV-WINDOW"] + payload
    assert HmacSigner("s3cr3t").sign(signed) == h["X-BAPI-SIGN"]


def test_hmac_errors_and_secrecy() -> None:
    with pytest.raises(ValueError, match="secret"):
        HmacSigner("")
    with pytest.raises(ValueError, match="encoding"):
        HmacSigner("x").sign("a", "b32")
    assert "s3cr3t" not in repr(HmacSigner("s3cr3t"))


# -- EVM -------------------------------------------------------------------------------------------

MAIL = {
    "types": {
        "EIP712Domain": [
            {"name": "name", "type": "string"},
            {"name": "version", "type": "string"},
            {"name": "chainId", "type": "uint256"},
            {"name": "verifyingContract", "type": "address"},
        ],
        "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
        "Mail": [
            {"name": "from", "type": "Person"},
            {"name": "to", "type": "Person"},
            {"name": "contents", "type": "string"},
        ],
    },
    "primaryType": "Mail",
    "domain": {
        "name": "Ether Mail",
        "version": "1",
        "chainId": 1,
        "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
    },
    "message": {
        "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
        "contents": "Hello, Bob!",
    },
}


def test_eip712_mail_example() -> None:
    # EIP-712's own example: the key is keccak("cow"), the signer 0xCD2a...D826.
    from eth_utils import keccak

    s = EvmSigner("0x" + keccak(b"cow").hex())
    assert s.address == "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"
    sig = s.sign_typed_data(MAIL)
    assert hexsig(sig) == (
        "0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d",
        "0x7299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562",
        28,
    )
    assert recover_typed_data(MAIL, sig) == s.address


def test_eip191_message_round_trip() -> None:
    s = EvmSigner(HL_KEY)
    sig = s.sign_message(b"hello AlephTX")
    from eth_account.messages import encode_defunct

    assert (
        Account.recover_message(encode_defunct(primitive=b"hello AlephTX"), vrs=(sig["v"], sig["r"], sig["s"]))
        == s.address
    )
    # The same signature eth-account itself gives (deterministic RFC 6979 nonces).
    ref = Account.sign_message(encode_defunct(primitive=b"hello AlephTX"), HL_KEY)
    assert (ref.r, ref.s, ref.v) == (sig["r"], sig["s"], sig["v"])


def test_eip155_example_transaction() -> None:
    # EIP-155's example: nonce 9, 20 gwei, 21000 gas, 1 ether to 0x3535..., chain 1, key 0x4646...
    s = EvmSigner("0x" + "46" * 32)
    raw = s.sign_transaction(
        {
            "nonce": 9,
            "gasPrice": 20 * 10**9,
            "gas": 21000,
            "to": "0x" + "35" * 20,
            "value": 10**18,
            "data": b"",
            "chainId": 1,
        }
    )
    assert raw == (
        "0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc"
        "2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83"
    )


def test_eip1559_transaction_recovers_to_the_signer() -> None:
    s = EvmSigner(HL_KEY)
    tx = {
        "type": 2,
        "chainId": 1,
        "nonce": 0,
        "maxFeePerGas": 30 * 10**9,
        "maxPriorityFeePerGas": 10**9,
        "gas": 21000,
        "to": "0x" + "35" * 20,
        "value": 1,
        "data": b"",
    }
    raw = s.sign_transaction(tx)
    assert raw.startswith("0x02")
    assert Account.recover_transaction(raw) == s.address


def test_evm_key_errors_never_echo_the_key() -> None:
    for bad in ("0x1234", "zz" * 32, "0x" + "00" * 32):
        with pytest.raises(ValueError) as err:
            EvmSigner(bad)
        assert bad[2:] not in str(err.value) or bad == "0x1234"
    assert HL_KEY[2:] not in repr(EvmSigner(HL_KEY))


# -- Hyperliquid (vectors from the official Python SDK's tests) --------------------------------------


@pytest.mark.parametrize(
    ("mainnet", "expected"),
    [
        (
            True,
            (
                "0x53749d5b30552aeb2fca34b530185976545bb22d0b3ce6f62e31be961a59298",
                "0x755c40ba9bf05223521753995abb2f73ab3229be8ec921f350cb447e384d8ed8",
                27,
            ),
        ),
        (
            False,
            (
                "0x542af61ef1f429707e3c76c5293c80d01f74ef853e34b76efffcb57e574f9510",
                "0x17b8b32f086e8cdede991f1e2c529f5dd5297cbe8128500e00cbaf766204a613",
                28,
            ),
        ),
    ],
)
def test_hyperliquid_l1_dummy_action(mainnet: bool, expected: tuple) -> None:
    sig = hyperliquid.sign_l1_action(EvmSigner(HL_KEY), {"type": "dummy", "num": 100000000000}, None, 0, mainnet)
    assert hexsig(sig) == expected


def test_hyperliquid_l1_with_vault() -> None:
    sig = hyperliquid.sign_l1_action(
        EvmSigner(HL_KEY), {"type": "dummy", "num": 100000000000}, "0x1719884eb866cb12b2287399b15f7db5e7d775ea", 0, True
    )
    assert hexsig(sig) == (
        "0x3c548db75e479f8012acf3000ca3a6b05606bc2ec0c29c50c515066a326239",
        "0x4d402be7396ce74fbba3795769cda45aec00dc3125a984f2a9f23177b190da2c",
        28,
    )


def test_hyperliquid_l1_order_and_cloid() -> None:
    w = EvmSigner(HL_KEY)
    order = hyperliquid.order_action([hyperliquid.order_wire(1, True, "100", "100", False)])
    assert hexsig(hyperliquid.sign_l1_action(w, order, None, 0, True)) == (
        "0xd65369825a9df5d80099e513cce430311d7d26ddf477f5b3a33d2806b100d78e",
        "0x2b54116ff64054968aa237c20ca9ff68000f977c93289157748a3162b6ea940e",
        28,
    )
    with_cloid = hyperliquid.order_action(
        [hyperliquid.order_wire(1, True, "100", "100", False, cloid="0x00000000000000000000000000000001")]
    )
    assert hexsig(hyperliquid.sign_l1_action(w, with_cloid, None, 0, False)) == (
        "0xeba0664bed2676fc4e5a743bf89e5c7501aa6d870bdb9446e122c9466c5cd16d",
        "0x7f3e74825c9114bc59086f1eebea2928c190fdfbfde144827cb02b85bbe90988",
        28,
    )


def test_hyperliquid_phantom_agent_matches_production() -> None:
    order = hyperliquid.order_action([hyperliquid.order_wire(4, True, "1670.1", "0.0147", False, tif="Ioc")])
    assert "0x" + hyperliquid.action_hash(order, None, 1677777606040).hex() == (
        "0x0fcbeda5ae3c4950a548021552a4fea2226858c4453571bf3f24ba017eac2908"
    )


def test_hyperliquid_fast_digest_equals_full_eip712() -> None:
    cid = hyperliquid.action_hash({"type": "dummy", "num": 1}, None, 7)
    from eth_account.messages import _hash_eip191_message, encode_typed_data

    for mainnet in (True, False):
        full = _hash_eip191_message(encode_typed_data(full_message=hyperliquid.l1_typed_data(cid, mainnet)))
        assert hyperliquid.l1_digest(cid, mainnet) == full


def test_hyperliquid_user_signed_usd_send_and_withdraw() -> None:
    w = EvmSigner(HL_KEY)
    msg = {"destination": "0x5e9ee1089755c3435139848e47e6635505d5a13a", "amount": "1", "time": 1687816341423}
    sig = hyperliquid.sign_user_signed_action(
        w, dict(msg), hyperliquid.USD_SEND_TYPES, "HyperliquidTransaction:UsdSend", False
    )
    assert hexsig(sig) == (
        "0x637b37dd731507cdd24f46532ca8ba6eec616952c56218baeff04144e4a77073",
        "0x11a6a24900e6e314136d2592e2f8d502cd89b7c15b198e1bee043c9589f9fad7",
        27,
    )
    sig = hyperliquid.sign_user_signed_action(
        w, dict(msg), hyperliquid.WITHDRAW_TYPES, "HyperliquidTransaction:Withdraw", False
    )
    assert hexsig(sig) == (
        "0x8363524c799e90ce9bc41022f7c39b4e9bdba786e5f9c72b20e43e1462c37cf9",
        "0x58b1411a775938b83e29182e8ef74975f9054c8e97ebf5ec2dc8d51bfc893881",
        28,
    )


def test_hyperliquid_signature_recovers_to_the_wallet() -> None:
    w = EvmSigner(HL_KEY)
    cid = hyperliquid.action_hash({"type": "cancel", "cancels": [{"a": 0, "o": 1}]}, None, 1700000000000)
    sig = hyperliquid.sign_l1_action(w, {"type": "cancel", "cancels": [{"a": 0, "o": 1}]}, None, 1700000000000, True)
    assert recover_digest(hyperliquid.l1_digest(cid, True), sig) == w.address


@pytest.mark.parametrize(
    ("value", "wire"), [("100", "100"), ("0.0147", "0.0147"), ("1670.10", "1670.1"), ("1E+2", "100"), ("0.000", "0")]
)
def test_hyperliquid_wire_numbers(value: str, wire: str) -> None:
    assert hyperliquid.to_wire(value) == wire


# -- Stark (StarkWare's crypto-cpp and StarkEx reference values) -------------------------------------


def test_stark_public_key_and_deterministic_signature() -> None:
    s = StarkSigner(0x3C1E9550E66958296D11B60F8E8E7A7AD990D07FA65D5F7652C4A6C87D4E3CC)
    assert s.public_key == 0x77A3B314DB07C45076D11F62B6F9E748A39790441823307743CF00D6597EA43
    h = 0x397E76D1667C4454BFB83514E120583AF836F8E32A516765497823EABE16A3F
    assert s.sign(h) == (
        0x173FD03D8B008EE7432977AC27D1E9D1A1F6C98B1A2F05FA84A21C84C44E882,
        0x4B6D75385AED025AA222F28A0ADC6D58DB78FF17E51C3F59E259B131CD5A1CC,
    )
    assert s.sign(h) == s.sign(h)
    assert stark.verify(h, s.sign(h), s.public_key)
    assert not stark.verify(h + 1, s.sign(h), s.public_key)


def test_pedersen_reference_value() -> None:
    assert (
        stark.pedersen_hash(
            0x3D937C035C878245CAF64531A5756109C53068DA139362728FEB561405371CB,
            0x208A0A10250E382E1E4BBE2880906C2791BF6275695E02FBBC6AEFF9CD8B31A,
        )
        == 0x30E480BED5FE53FA909CC0F8C4D99B8F9F2C016BE4C41E13A4848797979C662
    )


def test_stark_errors(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ValueError, match="private_key"):
        StarkSigner(0)
    with pytest.raises(ValueError, match="msg_hash"):
        StarkSigner(5).sign(2**252)
    with caplog.at_level(logging.DEBUG):
        text = repr(StarkSigner(0x3C1E9550E66958296D11B60F8E8E7A7AD990D07FA65D5F7652C4A6C87D4E3CC))
    assert "3c1e9550" not in text.lower()
