{#- Fails for each row whose column is below a minimum (nulls pass: not_null says otherwise). -#}
{% test at_least(model, column_name, minimum) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} < {{ minimum }}
{% endtest %}
