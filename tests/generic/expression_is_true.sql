{#- Fails for each row where a boolean SQL expression over the model's columns is not true
    (column_name is accepted so that it can sit under the column it is about). -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{% endtest %}
