{#-
    Fails (or warns, with severity: warn) for each row of the model: for tables that should
    normally be empty, such as the quarantine, so that every run shows how many rows landed there.
-#}
{% test has_no_rows(model) %}
    select *
    from {{ model }}
{% endtest %}
