import pytest

from alephtx.core.errors import FieldError
from alephtx.core.model import Instrument, OrderRequest, OrderType, Rounding, Side, TimeInForce, VenueRules


def test_from_strings(btcusdt: Instrument) -> None:
    assert (btcusdt.price_precision, btcusdt.size_precision, btcusdt.tick, btcusdt.lot) == (2, 3, 10, 1)
    assert btcusdt.tick_size == "0.10" and btcusdt.lot_size == "0.001" and btcusdt.min_notional_str == "100.00000"
    assert btcusdt.key == "binance-usdm:BTCUSDT"


def test_price_on_tick(btcusdt: Instrument) -> None:
    assert btcusdt.price("61659.70") == 6165970
    with pytest.raises(FieldError, match=r"price='61659.75': must be a multiple of the tick size 0.10") as err:
        btcusdt.price("61659.75")
    assert err.value.field == "price"


def test_price_rounding_is_in_the_safe_direction(btcusdt: Instrument) -> None:
    assert btcusdt.price("61659.75", rounding=Rounding.DOWN) == 6165970
    assert btcusdt.price("61659.75", rounding=Rounding.UP) == 6165980
    assert btcusdt.price("61659.751", rounding=Rounding.UP) == 6165980


@pytest.mark.parametrize("bad", ["0", "-1", "NaN", "inf"])
def test_price_refuses_non_positive_and_non_finite(btcusdt: Instrument, bad: str) -> None:
    with pytest.raises(FieldError):
        btcusdt.price(bad)


def test_size_on_lot_and_positive(btcusdt: Instrument) -> None:
    assert btcusdt.size("0.005") == 5
    with pytest.raises(FieldError, match="more than 3 decimal places"):
        btcusdt.size("0.0015")
    coarse = Instrument.from_strings("x", "Y", "spot", "0.01", "0.005")
    with pytest.raises(FieldError, match=r"quantity=.0\.012.: must be a multiple of the lot size 0\.005"):
        coarse.size("0.012")
    assert coarse.size("0.012", rounding=Rounding.DOWN) == 10
    assert btcusdt.size("0.0015", rounding=Rounding.DOWN) == 1
    with pytest.raises(FieldError, match="greater than zero"):
        btcusdt.size("0")
    with pytest.raises(FieldError, match="rounded down"):
        btcusdt.size("0.0015", rounding=Rounding.UP)


def test_hyperliquid_five_significant_figures() -> None:
    hl = Instrument.from_strings("hyperliquid", "BTC", "perp", "0.1", "0.00001", rules=VenueRules(max_sig_figs=5))
    assert hl.price("61659") == 616590  # integers are always allowed
    assert hl.price("6165.9") == 61659
    with pytest.raises(FieldError, match="5 significant figures"):
        hl.price("61659.7")
    assert hl.price("61659.7", rounding=Rounding.DOWN) == 616590
    assert hl.price("61659.7", rounding=Rounding.UP) == 616600


def test_order_request_parse(btcusdt: Instrument) -> None:
    req = OrderRequest.parse(btcusdt, "BUY", "limit", "0.010", "61659.70", tif="post_only", origin="strategy:grid")
    assert req.side is Side.BUY and req.type is OrderType.LIMIT and req.tif is TimeInForce.POST_ONLY
    assert (req.quantity, req.price, req.origin) == (10, 6165970, "strategy:grid")


def test_order_request_errors_name_the_field(btcusdt: Instrument) -> None:
    with pytest.raises(FieldError, match="side="):
        OrderRequest.parse(btcusdt, "long", "limit", "0.01", "100")
    with pytest.raises(FieldError, match="price=None: is required"):
        OrderRequest.parse(btcusdt, "buy", "limit", "0.01")
    with pytest.raises(FieldError, match="below the minimum"):
        OrderRequest.parse(btcusdt, "buy", "limit", "0.001", "61659.70")
    with pytest.raises(FieldError, match="origin="):
        OrderRequest.parse(btcusdt, "buy", "market", "0.01", origin="strategy:")
    with pytest.raises(FieldError, match="post_only needs a limit"):
        OrderRequest.parse(btcusdt, "buy", "market", "0.01", tif="post_only")
    with pytest.raises(FieldError, match="trigger_price"):
        OrderRequest.parse(btcusdt, "sell", "stop_market", "0.01")
