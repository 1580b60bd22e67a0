"""``/providers``: the provider list, one provider, its articles."""

from schemas.directory import ProviderSchema
from schemas.pages import ProviderPageSchema
from schemas.query import ProviderArgsSchema, ProviderQueryArgsSchema

from .directory import directory_blueprint

blp = directory_blueprint(
    "provider",
    description="Providers (publishers), each with its article count and newest article's "
    "date. A provider's id is its domain, lower-cased.",
    example_id="voanews.com",
    entry_schema=ProviderSchema,
    page_schema=ProviderPageSchema,
    list_args=ProviderQueryArgsSchema(),
    entry_args=ProviderArgsSchema(),
)
