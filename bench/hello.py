"""The ceiling: a bare Flask app returning a tiny JSON object, served like the API."""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return {"hello": "world"}
