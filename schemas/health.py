"""What the health checks send: ``/healthz`` and ``/readyz``."""

import marshmallow as ma


class AliveSchema(ma.Schema):
    """The process answers."""

    status = ma.fields.String(required=True, metadata={"description": "Always `alive`."})


class ReadySchema(ma.Schema):
    """An index is built and serving."""

    status = ma.fields.String(required=True, metadata={"description": "Always `ready`."})
    contentVersion = ma.fields.String(
        required=True, metadata={"description": "The version of the content being served."}
    )
    articleCount = ma.fields.Integer(required=True)
