"""The blog table and what a keeper does with a blog: add, edit, pause, resume, fetch now, remove."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from pydantic import ValidationError
from werkzeug.wrappers import Response as BaseResponse

from blogroll.admin import bp
from blogroll.admin.forms import ActionForm, BlogForm
from blogroll.config import current_settings
from blogroll.discovery import NoFeedFound
from blogroll.i18n import N_
from blogroll.new_blogs import prepare_blog
from blogroll.paging import page_number_arg
from blogroll.schemas import BlogCreate, BlogUpdate
from blogroll.storage import blogs
from blogroll.storage.db import get_session
from blogroll.storage.models import MAX_ID, Blog
from blogroll.validation import describe_field, validation_details

# The table shows this many blogs a page, so that it costs the same with 200 blogs or 20,000.
TABLE_PAGE = 50
DUPLICATE_FEED = N_("Another blog already has this feed address.")
ORDERS = {
    "failing": _l("Failing first"),
    "name": _l("Name"),
    "next": _l("Next fetch"),
    "entries": _l("Entries"),
    "newest": _l("Newest"),
}


@bp.get("/")
def blog_list() -> str:
    name = request.args.get("q", "").strip()[:200]
    tag = request.args.get("tag", "").strip()[:50] or None
    order = request.args.get("sort", "failing")
    if order not in ORDERS:
        order = "failing"
    number = page_number_arg()
    session = get_session()
    rows = blogs.list_blog_health(
        session,
        name=name or None,
        tag=tag,
        order=order,
        offset=(number - 1) * TABLE_PAGE,
        limit=TABLE_PAGE + 1,
    )
    if not rows and number > 1:
        abort(404, _("There is no page %(number)s of this list.", number=number))
    # The links keep the filters and the order; only the page changes.
    values: dict[str, Any] = {
        key: value for key, value in (("q", name), ("tag", tag), ("sort", order)) if value
    }
    return render_template(
        "admin/blogs.html",
        rows=rows[:TABLE_PAGE],
        total=blogs.count_blogs(session, name=name or None, tag=tag),
        previous=None if number == 1 else url_for("admin.blog_list", page=number - 1, **values),
        next=url_for("admin.blog_list", page=number + 1, **values) if len(rows) > TABLE_PAGE else None,
        q=name,
        tag=tag,
        tags=blogs.list_tags(session),
        order=order,
        orders=ORDERS,
        action=ActionForm(),
    )


@bp.route("/blogs/new", methods=["GET", "POST"])
def blog_new() -> BaseResponse | tuple[str, int]:
    """Adds a blog. Given its feed and name, at once; otherwise (or on "Find feed") its feed is
    found and previewed first, and the preview's Save posts back exactly what it shows."""
    form = BlogForm()
    duplicate = None
    if form.validate_on_submit():
        values = _blog_values(form)
        paused = values.pop("enabled") is False
        # A field left empty is a field not given, for discovery to fill in.
        values = {name: value for name, value in values.items() if not _blank(value)}
        preview = request.form.get("step") == "find" or not {"name", "feed_url"} <= values.keys()
        try:
            prepared = prepare_blog(
                BlogCreate.model_validate(values), current_settings(), always_discover=preview
            )
        except ValidationError as error:
            _attach(form, error)
        except NoFeedFound as missing:
            field = form.feed_url if "feed_url" in values else form.site_url
            field.errors = [*field.errors, str(missing)]
        else:
            session = get_session()
            if preview:
                same_feed = blogs.find_blog_by_feed_url(session, prepared.blog.feed_url)
                site = prepared.blog.site_url
                same_site = [
                    blog
                    for blog in (blogs.find_blogs_by_site_url(session, site) if site else [])
                    if blog is not same_feed
                ]
                page = render_template(
                    "admin/blog_preview.html",
                    form=form,
                    blog=prepared.blog,
                    found=prepared.discovery,
                    paused=paused,
                    same_feed=same_feed,
                    same_site=same_site,
                )
                return page, 200
            try:
                blog = blogs.create_blog(session, prepared.blog)
            except blogs.DuplicateFeed as error:
                duplicate = _duplicate_of(form, error)
            else:
                if paused:
                    blogs.set_paused(session, blog, True)
                session.commit()
                flash(_("Added %(name)s.", name=blog.name))
                return redirect(url_for("admin.blog_list"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/blog_form.html", form=form, blog=None, duplicate=duplicate), status


@bp.route("/blogs/<int:blog_id>/edit", methods=["GET", "POST"])
def blog_edit(blog_id: int) -> BaseResponse | tuple[str, int]:
    session = get_session()
    blog = _blog_or_404(blog_id)
    form = BlogForm(
        data=None
        if request.method == "POST"
        else {
            "name": blog.name,
            "feed_url": blog.feed_url,
            "site_url": blog.site_url or "",
            "description": blog.description,
            "tags": ", ".join(blog.tags),
            "paused": not blog.enabled,
        }
    )
    duplicate = None
    if form.validate_on_submit():
        try:
            changes = BlogUpdate.model_validate(_blog_values(form)).model_dump(exclude_unset=True)
        except ValidationError as error:
            _attach(form, error)
        else:
            try:
                blogs.update_blog(session, blog, changes)
            except blogs.DuplicateFeed as error:
                duplicate = _duplicate_of(form, error)
            else:
                session.commit()
                flash(_("Saved %(name)s.", name=blog.name))
                return redirect(url_for("admin.blog_list"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/blog_form.html", form=form, blog=blog, duplicate=duplicate), status


@bp.post("/blogs/<int:blog_id>/pause")
def blog_pause(blog_id: int) -> BaseResponse:
    return _act(blog_id, lambda blog: blogs.set_paused(get_session(), blog, True), _l("Paused %(name)s."))


@bp.post("/blogs/<int:blog_id>/resume")
def blog_resume(blog_id: int) -> BaseResponse:
    return _act(blog_id, lambda blog: blogs.set_paused(get_session(), blog, False), _l("Resumed %(name)s."))


@bp.post("/blogs/<int:blog_id>/fetch")
def blog_fetch(blog_id: int) -> BaseResponse:
    return _act(
        blog_id,
        lambda blog: blogs.make_due(get_session(), blog),
        _l("%(name)s will be fetched at the next pass."),
    )


@bp.route("/blogs/<int:blog_id>/remove", methods=["GET", "POST"])
def blog_remove(blog_id: int) -> BaseResponse | str:
    blog = _blog_or_404(blog_id)
    if request.method == "GET":
        return render_template("admin/blog_remove.html", blog=blog, action=ActionForm())
    return _act(blog_id, lambda blog: blogs.delete_blog(get_session(), blog), _l("Removed %(name)s."))


def _act(blog_id: int, change: Any, message: LazyString) -> BaseResponse:
    blog = _blog_or_404(blog_id)
    name = blog.name
    change(blog)
    get_session().commit()
    flash(str(message) % {"name": name})
    return redirect(url_for("admin.blog_list"))


def _duplicate_of(form: BlogForm, error: blogs.DuplicateFeed) -> Blog | None:
    """Marks the feed field taken; the blog that has it, for the page to link to."""
    form.feed_url.errors = [*form.feed_url.errors, _(DUPLICATE_FEED)]
    return blogs.get_blog(get_session(), error.existing_id) if error.existing_id else None


def _blog_or_404(blog_id: int) -> Blog:
    blog = blogs.get_blog(get_session(), blog_id) if blog_id <= MAX_ID else None
    if blog is None:
        abort(404, description=_("There is no blog with id %(id)s.", id=blog_id))
    return blog


def _blog_values(form: BlogForm) -> dict[str, Any]:
    """The form's fields as the API's schema reads them, so pages and API accept the same blogs."""
    tags = [tag for tag in re.split(r"[,\n]+", form.tags.data or "") if tag.strip()]
    return {
        "name": form.name.data or "",
        "feed_url": (form.feed_url.data or "").strip(),
        "site_url": (form.site_url.data or "").strip() or None,
        "description": form.description.data or "",
        "tags": tags,
        "enabled": not form.paused.data,
    }


def _blank(value: object) -> bool:
    return isinstance(value, str) and not value.strip()


def _attach(form: BlogForm, error: ValidationError) -> None:
    """Each schema error shown beside its field (`tags.2` beside Tags), in words that use the
    form's own labels."""
    labels = {field.name: str(field.label.text) for field in form}
    for problem in validation_details(error):
        field = getattr(form, problem["field"].split(".")[0], None)
        target = field if field is not None and hasattr(field, "errors") else None
        message = describe_field(problem, labels)
        if target is None:
            form.form_errors.append(message)
        else:
            target.errors = [*target.errors, message]
